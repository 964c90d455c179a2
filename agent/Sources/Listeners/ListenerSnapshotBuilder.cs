using Fleet502.Agent.Sources.Processes;
using Fleet502.Agent.Sources.Supervisors;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.Listeners;

/// <summary>
/// One sampling pass over listening sockets: the kernel's tables, each socket's owning process
/// (pid, name, command line, cgroup → unit/container, supervising service) and, for unix sockets,
/// the path's state as a client sees it.
/// </summary>
public sealed class ListenerSnapshotBuilder(
    ProcNetReader reader,
    SocketOwnerIndex owners,
    ProcessInfoReader processes,
    UnixSocketInspector inspector,
    ServiceDirectory? services = null,
    IReadOnlyCollection<string>? watchedUnixPaths = null)
{
    private const int MaxParentHops = 8;

    public ListenerSnapshot Build()
    {
        var listeners = reader.ReadAll();
        var owned = owners.Resolve(listeners.Select(l => l.SocketInode).ToList());
        var alive = new HashSet<int>();
        var unixListening = new HashSet<string>(StringComparer.Ordinal);
        foreach (var l in listeners)
        {
            if (owned.TryGetValue(l.SocketInode, out var pid) && processes.Read(pid) is { } p)
            {
                alive.Add(pid);
                l.Pid = pid;
                l.Process = p.Name;
                l.CommandLine = p.CommandLine;
                l.Cgroup = p.Cgroup;
                l.SystemdUnit = p.SystemdUnit;
                l.ContainerId = p.ContainerId;
                l.Uid = p.Uid;
                l.Service = ServiceOf(p, alive);
            }

            if (l.Transport == Transport.Unix)
            {
                unixListening.Add(l.UnixPath);
            }
        }

        foreach (var l in listeners.Where(l => l.Transport == Transport.Unix))
        {
            l.UnixPathState = inspector.Inspect(l.UnixPath, hasListener: true);
        }

        processes.Retain(alive);
        var snapshot = new ListenerSnapshot();
        snapshot.Listeners.Add(listeners);
        foreach (var path in watchedUnixPaths ?? [])
        {
            snapshot.UnixPaths.Add(inspector.Inspect(path, unixListening.Contains(path)));
        }

        if (owners.UnreadableProcesses > 0)
        {
            snapshot.MissingCapabilities.Add(
                $"/proc/<pid>/fd of {owners.UnreadableProcesses} processes of other users is unreadable (run as root or grant CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH): their sockets have no owner");
        }

        return snapshot;
    }

    // A supervisor-known pid wins (walking up to the supervised parent), then the systemd unit, then the container.
    private string ServiceOf(ProcessInfo p, HashSet<int> alive)
    {
        if (services is not null)
        {
            var current = p;
            for (var hop = 0; hop < MaxParentHops && current is not null && current.Pid > 1; hop++)
            {
                if (services.Find(current.Pid) is { } name)
                {
                    return name;
                }

                alive.Add(current.Pid);
                current = current.ParentPid > 1 ? processes.Read(current.ParentPid) : null;
            }
        }

        return p.ContainerId.Length > 0 ? "container:" + p.ContainerId[..12] : p.SystemdUnit;
    }
}
