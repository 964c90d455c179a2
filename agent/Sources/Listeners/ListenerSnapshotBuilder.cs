using System.Runtime.InteropServices;
using Fleet502.Agent.Sources.Processes;
using Fleet502.Agent.Sources.Supervisors;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.Listeners;

/// <summary>
/// One sampling pass over listening sockets: the kernel's tables, each socket's owning process
/// (pid, name, command line, cgroup → unit/container, supervising service) and, for unix sockets,
/// the path's state as a client sees it.
/// A pass (<see cref="Sample"/>) works on table rows and cached facts and yields a
/// <see cref="Fingerprint"/> of what a diagnosis depends on; the protobuf snapshot is made only
/// when it is sent (<see cref="ToSnapshot"/>).
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
    private readonly List<RawListener> _rows = [];
    private readonly List<Row> _resolved = [];
    private readonly List<UnixSocketPath> _watched = [];
    private readonly List<ulong> _inodes = [];
    private readonly HashSet<string> _unixListening = new(StringComparer.Ordinal);
    private readonly Dictionary<int, string> _serviceByPid = [];
    private readonly List<string> _missingCapabilities = [];

    /// <summary>
    /// Of the last pass: changes when any listener, its owner pid or service, or a path's state
    /// changes (an order-independent sum of per-listener hashes).
    /// </summary>
    public ulong Fingerprint { get; private set; }

    /// <summary>Listeners found by the last pass.</summary>
    public int Count => _resolved.Count;

    /// <summary>What the last pass could not see.</summary>
    public IReadOnlyList<string> MissingCapabilities => _missingCapabilities;

    /// <summary>A pass, materialised.</summary>
    public ListenerSnapshot Build()
    {
        Sample();
        return ToSnapshot();
    }

    /// <summary>One pass: reads the tables, resolves owners and path states, computes the fingerprint.</summary>
    public void Sample()
    {
        processes.BeginPass();
        inspector.BeginPass();
        _serviceByPid.Clear();
        _resolved.Clear();
        _unixListening.Clear();
        _inodes.Clear();
        reader.Read(_rows);
        foreach (var row in _rows)
        {
            _inodes.Add(row.Inode);
        }

        owners.Update(CollectionsMarshal.AsSpan(_inodes));
        Span<byte> pathBytes = stackalloc byte[ProcFs.MaxPath];
        ulong fingerprint = 0;
        foreach (var raw in _rows)
        {
            ProcessInfo? process = null;
            var service = "";
            if (owners.TryGetOwner(raw.Inode, out var pid) && (process = processes.Read(pid)) is not null)
            {
                service = ServiceOf(process);
            }

            UnixSocketPath? state = null;
            int where, stateHash = 0;
            if (raw.Transport == Transport.Unix)
            {
                var path = reader.UnixPath(raw);
                _unixListening.Add(path);
                where = path.GetHashCode();
                if (reader.UnixPathBytes(raw, pathBytes) >= 0)
                {
                    state = inspector.Inspect(path, pathBytes, hasListener: true, out stateHash);
                }
            }
            else
            {
                where = HashCode.Combine(raw.Address, raw.Port);
            }

            _resolved.Add(new Row(raw, process, service, state));
            fingerprint += Mix(HashCode.Combine(raw.Transport, where, process?.Pid ?? 0, service, stateHash));
        }

        _watched.Clear();
        foreach (var path in watchedUnixPaths ?? [])
        {
            var length = System.Text.Encoding.UTF8.GetByteCount(path);
            if (length >= pathBytes.Length)
            {
                continue;
            }

            System.Text.Encoding.UTF8.GetBytes(path, pathBytes);
            pathBytes[length] = 0;
            var state = inspector.Inspect(path, pathBytes[..(length + 1)], _unixListening.Contains(path), out var hash);
            _watched.Add(state);
            fingerprint += Mix(HashCode.Combine(1, hash));
        }

        processes.EndPass();
        inspector.EndPass();
        _missingCapabilities.Clear();
        if (owners.UnreadableProcesses > 0)
        {
            // "<capability>: <what is missing now>": the part before ':' stays the same while the count moves.
            _missingCapabilities.Add(
                $"CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH (or root): /proc/<pid>/fd of {owners.UnreadableProcesses} processes of other users is unreadable, their sockets are reported without an owner");
        }

        Fingerprint = fingerprint + Mix(_resolved.Count);
    }

    /// <summary>The last pass as the protobuf snapshot the collector gets.</summary>
    public ListenerSnapshot ToSnapshot()
    {
        var snapshot = new ListenerSnapshot();
        foreach (var row in _resolved)
        {
            var l = reader.ToListener(row.Raw);
            if (row.Process is { } p)
            {
                l.Pid = p.Pid;
                l.Process = p.Name;
                l.CommandLine = p.CommandLine;
                l.Cgroup = p.Cgroup;
                l.SystemdUnit = p.SystemdUnit;
                l.ContainerId = p.ContainerId;
                l.Uid = p.Uid;
                l.Service = row.Service;
            }

            if (row.PathState is { } state)
            {
                l.UnixPathState = state;
            }

            snapshot.Listeners.Add(l);
        }

        snapshot.UnixPaths.Add(_watched);
        snapshot.MissingCapabilities.Add(_missingCapabilities);
        return snapshot;
    }

    private static ulong Mix(int hash)
    {
        // Spread 32 bits over 64 so that sums of different sets rarely collide.
        var x = (ulong)(uint)hash * 0x9E3779B97F4A7C15UL;
        return x ^ (x >> 29);
    }

    // A supervisor-known pid wins (walking up to the supervised parent), then the systemd unit, then the container.
    private string ServiceOf(ProcessInfo p)
    {
        if (_serviceByPid.TryGetValue(p.Pid, out var known))
        {
            return known;
        }

        string? name = null;
        if (services is not null)
        {
            var current = p;
            for (var hop = 0; hop < MaxParentHops && current is not null && current.Pid > 1; hop++)
            {
                if (services.Find(current.Pid) is { } found)
                {
                    name = found;
                    break;
                }

                current = current.ParentPid > 1 ? processes.Read(current.ParentPid) : null;
            }
        }

        name ??= p.ContainerId.Length > 0 ? "container:" + p.ContainerId[..12] : p.SystemdUnit;
        _serviceByPid[p.Pid] = name;
        return name;
    }

    private readonly record struct Row(RawListener Raw, ProcessInfo? Process, string Service, UnixSocketPath? PathState);
}
