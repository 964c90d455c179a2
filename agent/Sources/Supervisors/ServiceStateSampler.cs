using Fleet502.Agent.Shipping;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;

namespace Fleet502.Agent.Sources.Supervisors;

/// <summary>
/// Asks every present supervisor for its services each interval; sends a <see cref="ServiceState"/>
/// per change and every service again each full-snapshot interval. A supervisor that cannot be
/// asked is logged once (and again when it recovers); the others carry on.
/// </summary>
public sealed partial class ServiceStateSampler(
    IEnumerable<IServiceSupervisor> supervisors,
    EventQueue queue,
    ServiceDirectory directory,
    ILogger<ServiceStateSampler> logger,
    TimeProvider time,
    TimeSpan sampleInterval,
    TimeSpan fullSnapshotInterval) : PeriodicSampler(queue, time, sampleInterval)
{
    private readonly Dictionary<IServiceSupervisor, ServiceStateTracker> _trackers = [];
    private readonly HashSet<IServiceSupervisor> _failing = [];
    private long _lastFull = long.MinValue;

    /// <summary>One pass over every supervisor: the events to send.</summary>
    public override async Task<List<Event>> SampleAsync(CancellationToken cancellationToken)
    {
        var full = _lastFull == long.MinValue || Time.GetElapsedTime(_lastFull) >= fullSnapshotInterval;
        if (full)
        {
            _lastFull = Time.GetTimestamp();
        }

        var events = new List<Event>();
        foreach (var supervisor in supervisors)
        {
            if (!supervisor.IsPresent())
            {
                continue;
            }

            IReadOnlyList<ServiceState> states;
            try
            {
                states = await supervisor.ReadAsync(cancellationToken);
            }
            catch (SupervisorUnavailableException e)
            {
                if (_failing.Add(supervisor))
                {
                    LogUnavailable(supervisor.Kind, e.Message);
                }

                continue;
            }

            if (_failing.Remove(supervisor))
            {
                LogRecovered(supervisor.Kind);
            }

            directory.Publish(supervisor.ServicePrefix.Length == 0 ? "systemd:" : supervisor.ServicePrefix,
                states.Select(s => KeyValuePair.Create(s.MainPid, supervisor.ServicePrefix + s.Name)));
            if (!_trackers.TryGetValue(supervisor, out var tracker))
            {
                _trackers[supervisor] = tracker = new ServiceStateTracker();
            }

            var changes = tracker.Changes(states);
            var now = Timestamp.FromDateTimeOffset(Time.GetUtcNow());
            var changedNames = changes.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var change in changes)
            {
                events.Add(new Event { Time = now, ServiceState = change });
            }

            if (full)
            {
                foreach (var s in states.Where(s => !changedNames.Contains(s.Name)))
                {
                    var copy = s.Clone();
                    copy.FullSnapshot = true;
                    events.Add(new Event { Time = now, ServiceState = copy });
                }
            }
        }

        return events;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host state: {Kind} cannot be asked, its services are not reported: {Reason}")]
    private partial void LogUnavailable(SupervisorKind kind, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host state: {Kind} answers again")]
    private partial void LogRecovered(SupervisorKind kind);
}
