using Fleet502.Agent.Configuration;
using Fleet502.Agent.Platform;
using Fleet502.Agent.Tailing;
using Fleet502.Protos.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace Fleet502.Agent.Shipping;

/// <summary>
/// Keeps one bidirectional stream to the collector: Hello → Welcome(last seq held) → batches
/// with sequence numbers → acks. Every event is spooled to disk before it is sent and stays in
/// flight until acknowledged; after a reconnect or a restart it is sent again, and the collector
/// drops what it already holds. An acknowledgement releases the event's source offset, which
/// lets the file checkpoint advance. Reconnects with jittered exponential backoff.
/// </summary>
public sealed partial class CollectorStreamer(
    EventQueue queue,
    PendingOffsets pending,
    IOptions<AgentOptions> options,
    ILogger<CollectorStreamer> logger,
    TimeProvider time) : BackgroundService
{
    private const int MaxBatch = 512;
    private readonly Lock _gate = new();
    private readonly LinkedList<Event> _inFlight = new();
    private readonly SemaphoreSlim _acked = new(0);
    private ulong _nextSeq = 1;
    private Spool? _spool;
    private long _lastSync;

    /// <summary>Highest sequence number the collector acknowledged.</summary>
    public ulong AckedSeq { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var spool = new Spool(Path.Combine(settings.StateDirectory, "spool"), settings.Collector.SpoolMaxBytes, 4 * 1024 * 1024, logger);
        lock (_gate)
        {
            foreach (var evt in spool.Recover())
            {
                _inFlight.AddLast(evt);
                _nextSeq = evt.Seq + 1;
            }

            _spool = spool;
        }

        using var channel = GrpcChannel.ForAddress(settings.Collector.Url, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectTimeout = TimeSpan.FromSeconds(5),
                KeepAlivePingDelay = TimeSpan.FromSeconds(20),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            },
        });
        var client = new Ingest.IngestClient(channel);
        var hello = AgentIdentity.CreateHello(settings);
        var headers = new Metadata { { "authorization", "Bearer " + ReadToken(settings.Collector) } };

        var reconnect = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => !stoppingToken.IsCancellationRequested),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(500),
                MaxDelay = settings.Collector.MaxReconnectDelay,
                OnRetry = args =>
                {
                    LogConnectFailed(args.AttemptNumber + 1, args.RetryDelay.TotalSeconds, args.Outcome.Exception?.Message);
                    return default;
                },
            })
            .Build();

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // One execution = connect (retried with backoff) then stream until the session breaks;
                // a session that was up starts the backoff again from its shortest delay.
                var lost = await reconnect.ExecuteAsync(ct => RunSessionAsync(client, hello, headers, ct), stoppingToken);
                LogSessionLost(lost);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async ValueTask<string> RunSessionAsync(Ingest.IngestClient client, Hello hello, Metadata headers, CancellationToken ct)
    {
        using var call = client.Connect(headers, cancellationToken: ct);
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = hello }, ct);
        if (!await call.ResponseStream.MoveNext(ct) || call.ResponseStream.Current.KindCase != CollectorMessage.KindOneofCase.Welcome)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the collector did not answer Hello with Welcome"));
        }

        var welcome = call.ResponseStream.Current.Welcome;
        int resend;
        lock (_gate)
        {
            Acknowledge(welcome.LastSeq);
            // A restarted agent continues after what the collector holds, so its events are not taken for duplicates.
            if (_inFlight.Count == 0 && _nextSeq <= welcome.LastSeq)
            {
                _nextSeq = welcome.LastSeq + 1;
            }

            resend = _inFlight.Count;
        }

        LogConnected(hello.AgentId, welcome.LastSeq, resend);

        // From here on, failures end the session (no exception): the caller reconnects at once.
        using var session = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var acks = ReadAcksAsync(call.ResponseStream, session);
        try
        {
            await ResendInFlightAsync(call.RequestStream, session.Token);
            await SendNewEventsAsync(call.RequestStream, session.Token);
            return "stopped";
        }
        catch (Exception e) when (e is RpcException or IOException or InvalidOperationException
                                  || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            await session.CancelAsync();
            var reason = await acks;
            return reason ?? e.Message;
        }
        finally
        {
            await session.CancelAsync();
        }
    }

    private async Task<string?> ReadAcksAsync(IAsyncStreamReader<CollectorMessage> responses, CancellationTokenSource session)
    {
        try
        {
            while (await responses.MoveNext(session.Token))
            {
                if (responses.Current.KindCase == CollectorMessage.KindOneofCase.Ack)
                {
                    lock (_gate)
                    {
                        Acknowledge(responses.Current.Ack.Seq);
                    }

                    _acked.Release();
                }
            }

            return "the collector closed the stream";
        }
        catch (RpcException e)
        {
            return $"{e.StatusCode}: {e.Status.Detail}";
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            return null;
        }
        finally
        {
            // Without acks the session is dead: stop the sender too.
            await session.CancelAsync();
        }
    }

    private void Acknowledge(ulong seq)
    {
        if (seq > AckedSeq)
        {
            AckedSeq = seq;
        }

        while (_inFlight.First is { } first && first.Value.Seq <= seq)
        {
            _inFlight.RemoveFirst();
            if (first.Value.Source is { } source)
            {
                pending.Release(new FileIdentity(source.Device, source.Inode), source.Generation, source.Offset);
            }
        }

        _spool?.Acknowledge(seq);
    }

    private async Task ResendInFlightAsync(IClientStreamWriter<AgentMessage> requests, CancellationToken ct)
    {
        List<Event> snapshot;
        lock (_gate)
        {
            snapshot = [.. _inFlight];
        }

        foreach (var chunk in snapshot.Chunk(MaxBatch))
        {
            var batch = new EventBatch();
            batch.Events.Add(chunk);
            await requests.WriteAsync(new AgentMessage { Batch = batch }, ct);
        }
    }

    private async Task SendNewEventsAsync(IClientStreamWriter<AgentMessage> requests, CancellationToken ct)
    {
        var maxInFlight = options.Value.Collector.MaxInFlightEvents;
        while (await queue.Reader.WaitToReadAsync(ct))
        {
            // Back-pressure: stop taking events while too many are unacknowledged or the spool is full.
            while (IsFull(maxInFlight))
            {
                await _acked.WaitAsync(ct);
            }

            var batch = new EventBatch();
            lock (_gate)
            {
                while (batch.Events.Count < MaxBatch && queue.Reader.TryRead(out var evt))
                {
                    evt.Seq = _nextSeq++;
                    _inFlight.AddLast(evt);
                    batch.Events.Add(evt);
                }

                // On disk before on the wire: a crash from here on loses nothing.
                _spool?.Append(batch.Events);
                if (time.GetElapsedTime(_lastSync) >= TimeSpan.FromSeconds(1))
                {
                    _spool?.Sync();
                    _lastSync = time.GetTimestamp();
                }
            }

            if (batch.Events.Count > 0)
            {
                await requests.WriteAsync(new AgentMessage { Batch = batch }, ct);
            }
        }
    }

    private bool IsFull(int maxInFlight)
    {
        lock (_gate)
        {
            return _inFlight.Count >= maxInFlight || (_spool?.IsFull ?? false);
        }
    }

    private static string ReadToken(CollectorOptions collector) =>
        !string.IsNullOrEmpty(collector.TokenFile) ? File.ReadAllText(collector.TokenFile).Trim() : collector.Token ?? "";

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to the collector as {AgentId}; it holds up to seq {LastSeq}; resending {Resend} unacknowledged events")]
    private partial void LogConnected(string agentId, ulong lastSeq, int resend);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collector session ended: {Reason}; reconnecting")]
    private partial void LogSessionLost(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot reach the collector (attempt {Attempt}): {Error}; next try in {DelaySeconds:F1} s")]
    private partial void LogConnectFailed(int attempt, double delaySeconds, string? error);
}
