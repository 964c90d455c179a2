using Fleet502.Agent.Configuration;
using Fleet502.Agent.Shipping;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet502.Agent.Sources.Listeners;

/// <summary>
/// Samples the host's listening sockets; sends a snapshot when the set changes and a full one
/// at least every <see cref="ListenerOptions.FullSnapshotInterval"/>.
/// </summary>
public sealed partial class ListenerSampler(
    EventQueue queue,
    IOptions<AgentOptions> options,
    ILogger<ListenerSampler> logger,
    TimeProvider time,
    ProcNetReader reader) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Listeners;
        HashSet<string>? previous = null;
        long lastSent = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var listeners = reader.ReadAll();
                var keys = listeners.Select(Key).ToHashSet(StringComparer.Ordinal);
                var changed = previous is null || !keys.SetEquals(previous);
                if (changed || time.GetElapsedTime(lastSent) >= settings.FullSnapshotInterval)
                {
                    var snapshot = new ListenerSnapshot();
                    snapshot.Listeners.Add(listeners);
                    await queue.EnqueueAsync(new Event { Time = Timestamp.FromDateTimeOffset(time.GetUtcNow()), ListenerSnapshot = snapshot }, stoppingToken);
                    if (changed)
                    {
                        LogListenersChanged(listeners.Count);
                    }

                    previous = keys;
                    lastSent = time.GetTimestamp();
                }

                await Task.Delay(settings.SampleInterval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static string Key(Listener l) => l.Transport == Transport.Unix ? "unix:" + l.UnixPath : $"{l.Transport}:{l.Address}:{l.Port}";

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listening sockets changed: {Count} now")]
    private partial void LogListenersChanged(int count);
}
