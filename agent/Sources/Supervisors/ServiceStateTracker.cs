using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.Supervisors;

/// <summary>
/// Change detection for one supervisor: which services are new, gone or changed in a way a
/// diagnosis cares about (state, pid, restarts, exit, OOM, health; not memory).
/// </summary>
public sealed class ServiceStateTracker
{
    private Dictionary<string, ServiceState> _previous = new(StringComparer.Ordinal);

    /// <summary>Services that changed since the last call; a vanished one comes back as stopped with detail "gone".</summary>
    public List<ServiceState> Changes(IReadOnlyList<ServiceState> current)
    {
        var changes = new List<ServiceState>();
        var next = new Dictionary<string, ServiceState>(StringComparer.Ordinal);
        foreach (var s in current)
        {
            next[s.Name] = s;
            if (!_previous.TryGetValue(s.Name, out var before) || Key(before) != Key(s))
            {
                changes.Add(s);
            }
        }

        foreach (var (name, before) in _previous)
        {
            if (!next.ContainsKey(name))
            {
                var gone = before.Clone();
                gone.Status = ServiceStatus.Stopped;
                gone.MainPid = 0;
                gone.Detail = "gone: the supervisor no longer lists it";
                gone.FullSnapshot = false;
                changes.Add(gone);
            }
        }

        _previous = next;
        return changes;
    }

    private static string Key(ServiceState s) =>
        $"{s.Status}|{s.RawState}|{s.Result}|{s.OomKilled}|{s.Restarts}|{s.MainPid}|{s.ExitCode}|{s.ExitSignal}|{s.Health}|{string.Join(',', s.Ports)}";
}
