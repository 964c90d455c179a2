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
    // Well under the collector's 4 MB default message limit, whatever the events' sizes.
    private const long MaxBatchBytes = 1024 * 1024;
    private readonly Lock _gate = new();
    private readonly Queue<EncodedEvent> _inFlight = new();
    private readonly SemaphoreSlim _acked = new(0);
    private ulong _nextSeq = 1;
    private Spool? _spool;
    private long _lastSync;
    // Highest seq whose batch gRPC has serialized: only those may go back to the pool on ack.
    private ulong _written;

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
                _inFlight.Enqueue(evt);
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
        var client = channel.CreateCallInvoker();
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

    private async ValueTask<string> RunSessionAsync(CallInvoker client, Hello hello, Metadata headers, CancellationToken ct)
    {
        using var call = client.AsyncDuplexStreamingCall(IngestWire.Connect, null, new CallOptions(headers, cancellationToken: ct));
        await call.RequestStream.WriteAsync(OutgoingMessage.ForHello(hello), ct);
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

        while (_inFlight.TryPeek(out var first) && first.Seq <= seq)
        {
            _inFlight.Dequeue();
            if (first.Source is { } source)
            {
                pending.Release(source.File, source.Generation, source.Offset);
            }

            if (first.Seq <= _written)
            {
                EncodedEventPool.Return(first);
            }
        }

        _spool?.Acknowledge(seq);
    }

    private async Task ResendInFlightAsync(IClientStreamWriter<OutgoingMessage> requests, CancellationToken ct)
    {
        // Copies: an ack arriving meanwhile returns the originals to the pool.
        List<EncodedEvent> snapshot;
        lock (_gate)
        {
            snapshot = _inFlight.Select(e => EncodedEvent.FromPayload(e.Payload)).ToList();
        }

        foreach (var chunk in snapshot.Chunk(MaxBatch))
        {
            await requests.WriteAsync(OutgoingMessage.ForBatch(chunk), ct);
        }
    }

    private async Task SendNewEventsAsync(IClientStreamWriter<OutgoingMessage> requests, CancellationToken ct)
    {
        var maxInFlight = options.Value.Collector.MaxInFlightEvents;
        var batch = new List<EncodedEvent>(MaxBatch);
        var message = OutgoingMessage.ForBatch(batch);
        while (await queue.Reader.WaitToReadAsync(ct))
        {
            // Back-pressure: stop taking events while too many are unacknowledged or the spool is full.
            while (IsFull(maxInFlight))
            {
                await _acked.WaitAsync(ct);
            }

            batch.Clear();
            long bytes = 0;
            lock (_gate)
            {
                while (batch.Count < MaxBatch && bytes < MaxBatchBytes && queue.Reader.TryRead(out var evt))
                {
                    evt.AssignSeq(_nextSeq++);
                    _inFlight.Enqueue(evt);
                    batch.Add(evt);
                    bytes += evt.Payload.Length;
                }

                // On disk before on the wire: a crash from here on loses nothing.
                _spool?.Append(batch);
                if (time.GetElapsedTime(_lastSync) >= TimeSpan.FromSeconds(1))
                {
                    _spool?.Sync();
                    _lastSync = time.GetTimestamp();
                }
            }

            if (batch.Count > 0)
            {
                await requests.WriteAsync(message, ct);
                lock (_gate)
                {
                    _written = batch[^1].Seq;
                }
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
