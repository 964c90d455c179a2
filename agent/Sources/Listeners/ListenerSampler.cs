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
    private HashSet<string>? _previous;
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

    /// <summary>One pass: the event to send, or null when nothing changed and no full snapshot is due.</summary>
    public Event? Sample(TimeSpan fullSnapshotInterval)
    {
        ListenerSnapshot snapshot;
        try
        {
            snapshot = builder.Build();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogSampleFailed(e.Message);
            return null;
        }

        foreach (var missing in snapshot.MissingCapabilities)
        {
            // Reported once: the rest of the sampling works without it.
            if (_reportedCapabilities.Add(missing))
            {
                LogCapabilityMissing(missing);
            }
        }

        var keys = snapshot.Listeners.Select(Key).Concat(snapshot.UnixPaths.Select(PathKey)).ToHashSet(StringComparer.Ordinal);
        var changed = _previous is null || !keys.SetEquals(_previous);
        if (!changed && time.GetElapsedTime(_lastSent) < fullSnapshotInterval)
        {
            return null;
        }

        if (changed)
        {
            LogListenersChanged(snapshot.Listeners.Count);
        }

        _previous = keys;
        _lastSent = time.GetTimestamp();
        return new Event { Time = Timestamp.FromDateTimeOffset(time.GetUtcNow()), ListenerSnapshot = snapshot };
    }

    private static string Key(Listener l)
    {
        var where = l.Transport == Transport.Unix ? "unix:" + l.UnixPath : $"{l.Transport}:{l.Address}:{l.Port}";
        return l.UnixPathState is { } s ? $"{where}|{l.Pid}|{l.Service}|{PathKey(s)}" : $"{where}|{l.Pid}|{l.Service}";
    }

    private static string PathKey(UnixSocketPath s) => $"path:{s.Path}|{s.Exists}|{s.IsSocket}|{s.HasListener}|{s.ClientCanConnect}|{s.Mode}|{s.Uid}|{s.Gid}";

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listening sockets changed: {Count} now")]
    private partial void LogListenersChanged(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host state: {Capability}")]
    private partial void LogCapabilityMissing(string capability);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listener sampling failed: {Reason}")]
    private partial void LogSampleFailed(string reason);
}
