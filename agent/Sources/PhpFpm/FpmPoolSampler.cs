using Fleet502.Agent.Shipping;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;

namespace Fleet502.Agent.Sources.PhpFpm;

/// <summary>
/// Samples every configured PHP-FPM pool; sends an <see cref="FpmPool"/> when its diagnosis changes
/// (reachable, saturated, listen queue empty/non-empty, max children reached rising, restart)
/// and each full-snapshot interval.
/// </summary>
public sealed partial class FpmPoolSampler(
    IReadOnlyList<FpmStatusReader> readers,
    EventQueue queue,
    ILogger<FpmPoolSampler> logger,
    TimeProvider time,
    TimeSpan sampleInterval,
    TimeSpan fullSnapshotInterval) : PeriodicSampler(queue, time, sampleInterval)
{
    private readonly Dictionary<FpmStatusReader, (string Key, long SentAt)> _last = [];

    public override async Task<List<Event>> SampleAsync(CancellationToken cancellationToken)
    {
        var events = new List<Event>();
        foreach (var reader in readers)
        {
            var pool = await reader.ReadAsync(cancellationToken);
            var key = $"{pool.Reachable}|{pool.Error}|{pool.Saturated}|{pool.ListenQueue > 0}|{pool.MaxChildrenReached}|{pool.StartTime}";
            var changed = !_last.TryGetValue(reader, out var last) || last.Key != key;
            if (!changed && Time.GetElapsedTime(last.SentAt) < fullSnapshotInterval)
            {
                continue;
            }

            if (changed && !pool.Reachable)
            {
                LogUnreachable(pool.Endpoint, pool.Error);
            }

            pool.FullSnapshot = !changed;
            _last[reader] = (key, Time.GetTimestamp());
            events.Add(new Event { Time = Timestamp.FromDateTimeOffset(Time.GetUtcNow()), FpmPool = pool });
        }

        return events;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "PHP-FPM status at {Endpoint} unavailable: {Error}")]
    private partial void LogUnreachable(string endpoint, string error);
}
