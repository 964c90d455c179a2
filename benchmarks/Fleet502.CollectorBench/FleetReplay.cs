using System.Collections.Concurrent;
using System.Diagnostics;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Fleet502.CollectorBench;

/// <summary>
/// N agents, each on its own ingest stream (streams share a few HTTP/2 connections, as many agents
/// behind one NAT would not, but the collector sees one stream per agent either way). Every agent
/// sends one batch a second: a heartbeat, access-log windows, a listener snapshot every 30 s, and
/// upstream errors toward app targets that start failing ten a second across the fleet. A batch
/// that carries the first symptom toward a target opens its incident in the same transaction that
/// stores it, so its ack time is the symptom → incident latency.
/// </summary>
internal sealed class FleetReplay(int agents, int eventsPerSecond, TimeSpan duration, int connections)
{
    private const int NewTargetsPerSecond = 10;
    private const int MaxTargets = 1000;

    private readonly ConcurrentDictionary<int, bool> _claimed = new();
    private readonly ConcurrentBag<double> _incidentLatencyMs = [];
    private readonly ConcurrentBag<double> _ackLatencyMs = [];
    private long _sent;
    private long _acked;

    public long Acked => Interlocked.Read(ref _acked);

    public long Sent => Interlocked.Read(ref _sent);

    public IReadOnlyCollection<double> IncidentLatencyMs => _incidentLatencyMs;

    public IReadOnlyCollection<double> AckLatencyMs => _ackLatencyMs;

    public int FirstSymptoms => _claimed.Count;

    public async Task RunAsync(Uri grpc, CancellationToken cancellationToken)
    {
        var handlers = Enumerable.Range(0, connections).Select(_ => GrpcChannel.ForAddress(grpc, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        })).ToArray();
        try
        {
            var start = Stopwatch.GetTimestamp();
            var perAgent = Math.Max(3, eventsPerSecond / agents);
            var tasks = Enumerable.Range(0, agents).Select(i => RunAgentAsync(handlers[i % connections], i, perAgent, start, cancellationToken)).ToArray();
            await Task.WhenAll(tasks);
        }
        finally
        {
            foreach (var channel in handlers)
            {
                channel.Dispose();
            }
        }
    }

    private async Task RunAgentAsync(GrpcChannel channel, int index, int perBatch, long start, CancellationToken cancellationToken)
    {
        var id = $"bench-{index:D4}";
        var headers = new Metadata { { "authorization", $"Bearer {CollectorProcess.AgentToken}" } };
        using var call = new Ingest.IngestClient(channel).Connect(headers, cancellationToken: cancellationToken);
        var hello = new Hello { AgentId = id, Hostname = id, Version = "bench", Roles = { "load_balancer" }, Addresses = { $"10.1.{index / 250}.{index % 250 + 1}" } };
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = hello }, cancellationToken);
        if (!await call.ResponseStream.MoveNext(cancellationToken) || call.ResponseStream.Current.Welcome is not { } welcome)
        {
            throw new InvalidOperationException($"{id}: no Welcome");
        }

        var seq = welcome.LastSeq;
        var random = new Random(index);
        var offset = 0L; // each error names its line in the agent's error.log, as a real agent's do
        var seconds = (int)duration.TotalSeconds;
        // Spread the agents over the second so batches do not all arrive at once.
        var spread = TimeSpan.FromSeconds((double)index / agents);

        // The replay shares the machine's 2 cores with the collector, so each agent builds its
        // messages once and updates them in place every second (seq, times, target, line): the
        // bytes sent are what a fresh message would be, without the garbage.
        var batch = new EventBatch();
        var heartbeat = new Event { Heartbeat = new Heartbeat() };
        var snapshot = new Event { ListenerSnapshot = Snapshot() };
        var windows = Enumerable.Range(0, perBatch / 10).Select(w => new Event { AccessWindow = Window(w) }).ToArray();
        var errors = Enumerable.Range(0, perBatch).Select(_ => new Event
        {
            Source = new SourceRef { Path = "/var/log/nginx/error.log", Device = 2049, Inode = (ulong)(100_000 + index) },
            UpstreamError = new UpstreamError
            {
                Cause = Cause.BackendDown, Phase = Phase.Connect, Server = "shop.example.com", Status = 502, Count = 1, Level = "error",
            },
        }).ToArray();
        var message = new AgentMessage { Batch = batch };
        for (var s = 0; s < seconds; s++)
        {
            var due = spread + TimeSpan.FromSeconds(s) - Stopwatch.GetElapsedTime(start);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, cancellationToken);
            }

            batch.Events.Clear();
            var now = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
            Add(batch, heartbeat, ++seq, now);
            if ((s + index) % 30 == 0)
            {
                Add(batch, snapshot, ++seq, now);
            }

            var firstSymptom = false;
            var failing = Math.Min(MaxTargets, NewTargetsPerSecond * (s + 1));
            for (var w = 0; w < windows.Length && batch.Events.Count < perBatch; w++)
            {
                windows[w].AccessWindow.Start = now;
                Add(batch, windows[w], ++seq, now);
            }

            for (var e = 0; batch.Events.Count < perBatch; e++)
            {
                var target = random.Next(failing);
                if (target >= failing - NewTargetsPerSecond && _claimed.TryAdd(target, true))
                {
                    firstSymptom = true;
                }

                var (address, raw) = Targets[target];
                var error = errors[e].UpstreamError;
                error.Target = address;
                error.Raw = raw;
                error.FirstTime = now;
                error.LastTime = now;
                errors[e].Source.Offset = offset;
                offset += raw.Length + 80;
                Add(batch, errors[e], ++seq, now);
            }

            var sentAt = Stopwatch.GetTimestamp();
            await call.RequestStream.WriteAsync(message, cancellationToken); // serialized before it returns
            Interlocked.Add(ref _sent, batch.Events.Count);
            if (!await call.ResponseStream.MoveNext(cancellationToken) || call.ResponseStream.Current.Ack is not { } ack || ack.Seq != seq)
            {
                throw new InvalidOperationException($"{id}: batch not acked");
            }

            var latency = Stopwatch.GetElapsedTime(sentAt).TotalMilliseconds;
            Interlocked.Add(ref _acked, batch.Events.Count);
            _ackLatencyMs.Add(latency);
            if (firstSymptom)
            {
                _incidentLatencyMs.Add(latency);
            }
        }

        await call.RequestStream.CompleteAsync();
    }

    /// <summary>Every target's address and its nginx error line, shared read-only by all agents.</summary>
    private static readonly (UpstreamTarget Address, string Raw)[] Targets = [.. Enumerable.Range(0, MaxTargets).Select(target =>
    {
        var host = $"10.2.{target / 250}.{target % 250 + 1}";
        return (new UpstreamTarget { Scheme = "http", Address = $"{host}:3000", Host = host, Port = 3000 },
            $"connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.7, server: shop.example.com, request: \"GET / HTTP/1.1\", upstream: \"http://{host}:3000/\"");
    })];

    private static void Add(EventBatch batch, Event e, ulong seq, Timestamp now)
    {
        e.Seq = seq;
        e.Time = now;
        batch.Events.Add(e);
    }

    private static AccessWindow Window(int w) => new()
    {
        Server = "shop.example.com",
        Upstream = $"10.3.0.{w + 1}:8080",
        Seconds = 10,
        Requests = 1000,
        Attempts = 1000,
        Statuses = { [200] = 990, [502] = 10 },
        RequestTime = new LatencyQuantiles { Count = 1000, P50Ms = 12, P95Ms = 80, P99Ms = 200, MaxMs = 900 },
    };

    private static ListenerSnapshot Snapshot() => new()
    {
        Listeners =
        {
            new Listener { Transport = Transport.Tcp4, Address = "0.0.0.0", Port = 80, Pid = 100, Process = "nginx", Service = "nginx.service" },
            new Listener { Transport = Transport.Tcp4, Address = "0.0.0.0", Port = 443, Pid = 100, Process = "nginx", Service = "nginx.service" },
            new Listener { Transport = Transport.Tcp4, Address = "0.0.0.0", Port = 22, Pid = 50, Process = "sshd", Service = "ssh.service" },
        },
    };
}
