using Fleet502.Agent.Configuration;
using Fleet502.Agent.Shipping;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet502.Agent.Sources.Listeners;

/// <summary>
/// Samples the host's listening sockets; sends a snapshot when anything a diagnosis depends on
/// changes (a listener, its owner, a socket path's state) and a full one at least every
/// <see cref="ListenerOptions.FullSnapshotInterval"/>.
/// </summary>
public sealed partial class ListenerSampler(
    EventQueue queue,
    IOptions<AgentOptions> options,
    ILogger<ListenerSampler> logger,
    TimeProvider time,
    ListenerSnapshotBuilder builder) : BackgroundService
{
    private readonly HashSet<string> _reportedCapabilities = new(StringComparer.Ordinal);
    private ulong? _previous;
    private long _lastSent;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Listeners;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (Sample(settings.FullSnapshotInterval) is { } evt)
                {
                    await queue.EnqueueAsync(evt, stoppingToken);
                }

                await Task.Delay(settings.SampleInterval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Capabilities reported missing so far (each logged once).</summary>
    public IReadOnlyCollection<string> ReportedCapabilities => _reportedCapabilities;

    /// <summary>One pass: the event to send, or null when nothing changed and no full snapshot is due.</summary>
    public Event? Sample(TimeSpan fullSnapshotInterval)
    {
        try
        {
            builder.Sample();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogSampleFailed(e.Message);
            return null;
        }

        foreach (var missing in builder.MissingCapabilities)
        {
            // Reported once per capability (not again when only the count in the text moves): the rest works without it.
            var colon = missing.IndexOf(':', StringComparison.Ordinal);
            if (_reportedCapabilities.Add(colon > 0 ? missing[..colon] : missing))
            {
                LogCapabilityMissing(missing);
            }
        }

        // The snapshot is made only when it is sent: a steady host costs the pass and no more.
        var changed = _previous != builder.Fingerprint;
        if (!changed && time.GetElapsedTime(_lastSent) < fullSnapshotInterval)
        {
            return null;
        }

        if (changed)
        {
            LogListenersChanged(builder.Count);
        }

        _previous = builder.Fingerprint;
        _lastSent = time.GetTimestamp();
        return new Event { Time = Timestamp.FromDateTimeOffset(time.GetUtcNow()), ListenerSnapshot = builder.ToSnapshot() };
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listening sockets changed: {Count} now")]
    private partial void LogListenersChanged(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host state: {Capability}")]
    private partial void LogCapabilityMissing(string capability);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listener sampling failed: {Reason}")]
    private partial void LogSampleFailed(string reason);
}
