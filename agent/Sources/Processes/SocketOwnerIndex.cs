using System.Globalization;
using System.Text;

namespace Fleet502.Agent.Sources.Processes;

/// <summary>
/// Socket inode → owning pid, found the way <c>ss -p</c> does (readlink of every
/// <c>/proc/&lt;pid&gt;/fd/*</c> → "socket:[inode]"), but cached:
/// <list type="bullet">
/// <item>a known owner is trusted while its process incarnation (pid + start time, one stat read
/// per owner pid per pass) lives; its fd is re-checked with a readlink every <c>reverify</c>, at most
/// <see cref="VerifyBudget"/> per pass so the cost is spread;</item>
/// <item>an unseen inode is first looked for in processes started since the last look at /proc
/// (a restarted service), and only then by a full scan of every fd table, at most once per
/// <c>minFullScanInterval</c>; inodes no readable process holds are retried once per
/// <c>retryUnresolved</c>.</item>
/// </list>
/// </summary>
public sealed class SocketOwnerIndex(
    TimeProvider time,
    string procRoot = "/proc",
    TimeSpan? retryUnresolved = null,
    TimeSpan? reverify = null,
    TimeSpan? minFullScanInterval = null)
{
    /// <summary>Readlink re-checks of known owners per pass.</summary>
    public const int VerifyBudget = 256;

    private readonly TimeSpan _retryUnresolved = retryUnresolved ?? TimeSpan.FromSeconds(30);
    private readonly TimeSpan _reverify = reverify ?? TimeSpan.FromSeconds(30);
    private readonly TimeSpan _minFullScanInterval = minFullScanInterval ?? TimeSpan.FromSeconds(10);
    private readonly byte[] _root = Encoding.UTF8.GetBytes(procRoot);
    private readonly Dictionary<ulong, Owner> _owners = [];
    private readonly Dictionary<ulong, long> _unresolvedSince = [];
    private readonly Dictionary<int, ulong> _starts = [];
    private readonly HashSet<ulong> _missing = [];
    private readonly HashSet<ulong> _awaitingFullScan = [];
    private HashSet<int>? _knownPids;
    private long _lastFullScan = long.MinValue;
    private int _pass;

    /// <summary>Processes whose fd table the last full scan could not read (other users, no CAP_SYS_PTRACE).</summary>
    public int UnreadableProcesses { get; private set; }

    /// <summary>Full /proc scans done so far (for tests and the benchmark).</summary>
    public int FullScans { get; private set; }

    /// <summary>Scans limited to processes started since the last look at /proc.</summary>
    public int NewProcessScans { get; private set; }

    /// <summary>Owners known now.</summary>
    public int Count => _owners.Count;

    /// <summary>Brings the index up to date with the inodes listening now (one call per pass).</summary>
    public void Update(ReadOnlySpan<ulong> inodes)
    {
        _pass++;
        _starts.Clear();
        _missing.Clear();
        var now = time.GetTimestamp();
        var budget = VerifyBudget;
        var seen = 0;
        foreach (var inode in inodes)
        {
            if (inode == 0)
            {
                continue;
            }

            if (_owners.TryGetValue(inode, out var owner))
            {
                if (owner.Start != 0 && StartOf(owner.Pid) == owner.Start)
                {
                    if (time.GetElapsedTime(owner.VerifiedAt, now) < _reverify || budget-- <= 0)
                    {
                        owner.Pass = _pass;
                        seen++;
                        continue;
                    }

                    if (LinkTarget(owner.Pid, owner.Fd) == inode)
                    {
                        owner.VerifiedAt = now;
                        owner.Pass = _pass;
                        seen++;
                        continue;
                    }
                }

                _owners.Remove(inode);
            }

            _missing.Add(inode);
        }

        if (_owners.Count > seen)
        {
            // Forget sockets that no longer listen (or whose owner went).
            foreach (var (inode, owner) in _owners)
            {
                if (owner.Pass != _pass)
                {
                    _owners.Remove(inode);
                }
            }
        }

        if (_missing.Count > 0)
        {
            FindMissing(now);
        }

        foreach (var (inode, _) in _unresolvedSince)
        {
            if (!_missing.Contains(inode))
            {
                _unresolvedSince.Remove(inode);
            }
        }

        if (_awaitingFullScan.Count > 0)
        {
            _awaitingFullScan.RemoveWhere(inode => !_missing.Contains(inode));
        }
    }

    /// <summary>The owner of a listening inode after <see cref="Update"/> (lowest pid: the master of a pre-fork server).</summary>
    public bool TryGetOwner(ulong inode, out int pid)
    {
        pid = _owners.TryGetValue(inode, out var owner) ? owner.Pid : 0;
        return pid > 0;
    }

    /// <summary>The owner of each inode that some readable process holds.</summary>
    public Dictionary<ulong, int> Resolve(IReadOnlyCollection<ulong> inodes)
    {
        Update(inodes.ToArray());
        var result = new Dictionary<ulong, int>(inodes.Count);
        foreach (var inode in inodes)
        {
            if (TryGetOwner(inode, out var pid))
            {
                result[inode] = pid;
            }
        }

        return result;
    }

    private void FindMissing(long now)
    {
        var fresh = false;
        var waiting = false;
        foreach (var inode in _missing)
        {
            if (_unresolvedSince.TryGetValue(inode, out var since))
            {
                waiting |= time.GetElapsedTime(since, now) >= _retryUnresolved;
            }
            else if (_awaitingFullScan.Contains(inode))
            {
                waiting = true;
            }
            else
            {
                fresh = true;
            }
        }

        // A new listener usually comes with a new process (a start, a restart): look there first, once per inode.
        if (fresh && _knownPids is not null)
        {
            NewProcessScans++;
            var pids = ListPids();
            foreach (var pid in pids)
            {
                if (!_knownPids.Contains(pid))
                {
                    ScanFds(pid, _missing);
                }
            }

            _knownPids = pids;
            foreach (var inode in _missing)
            {
                if (!_owners.ContainsKey(inode) && !_unresolvedSince.ContainsKey(inode))
                {
                    _awaitingFullScan.Add(inode);
                    waiting = true;
                }
            }
        }
        else if (fresh)
        {
            waiting = true;
        }

        if (waiting && (_lastFullScan == long.MinValue || time.GetElapsedTime(_lastFullScan, now) >= _minFullScanInterval))
        {
            FullScan();
            _lastFullScan = now;
            _awaitingFullScan.Clear();
            foreach (var inode in _missing)
            {
                if (!_owners.ContainsKey(inode))
                {
                    _unresolvedSince[inode] = now;
                }
            }
        }
    }

    private void FullScan()
    {
        FullScans++;
        var unreadable = 0;
        var pids = ListPids();
        foreach (var pid in pids)
        {
            // /proc lists pids in ascending order, so the first holder found is the lowest pid.
            if (ScanFds(pid, _missing) == ScanResult.Unreadable)
            {
                unreadable++;
            }
        }

        _knownPids = pids;
        UnreadableProcesses = unreadable;
    }

    private HashSet<int> ListPids()
    {
        var pids = new HashSet<int>(_knownPids?.Count ?? 256);
        foreach (var dir in Directory.EnumerateDirectories(procRoot))
        {
            if (int.TryParse(Path.GetFileName(dir.AsSpan()), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                pids.Add(pid);
            }
        }

        return pids;
    }

    private ScanResult ScanFds(int pid, HashSet<ulong> wanted)
    {
        ulong start = 0;
        try
        {
            foreach (var fdPath in Directory.EnumerateFileSystemEntries(string.Create(CultureInfo.InvariantCulture, $"{procRoot}/{pid}/fd")))
            {
                if (!int.TryParse(Path.GetFileName(fdPath.AsSpan()), NumberStyles.None, CultureInfo.InvariantCulture, out var fd))
                {
                    continue;
                }

                var inode = LinkTarget(fdPath);
                if (inode != 0 && wanted.Contains(inode) && !_owners.ContainsKey(inode))
                {
                    if (start == 0 && (start = StartOf(pid)) == 0)
                    {
                        return ScanResult.Gone;
                    }

                    _owners[inode] = new Owner(pid, fd, start, time.GetTimestamp(), _pass);
                }
            }

            return ScanResult.Read;
        }
        catch (UnauthorizedAccessException)
        {
            return ScanResult.Unreadable;
        }
        catch (IOException)
        {
            // the process exited while we looked
            return ScanResult.Gone;
        }
    }

    private ulong StartOf(int pid)
    {
        if (!_starts.TryGetValue(pid, out var start))
        {
            start = ProcessInfoReader.TryReadStat(_root, pid, out _, out var s) ? s : 0;
            _starts[pid] = start;
        }

        return start;
    }

    private unsafe ulong LinkTarget(int pid, int fd)
    {
        Span<byte> path = stackalloc byte[ProcFs.MaxPath];
        Span<byte> leaf = stackalloc byte[16];
        "fd/"u8.CopyTo(leaf);
        System.Buffers.Text.Utf8Formatter.TryFormat(fd, leaf[3..], out var written);
        return ProcFs.PidPath(path, _root, pid, leaf[..(3 + written)]) < 0 ? 0 : LinkTarget(path);
    }

    private static ulong LinkTarget(string path)
    {
        Span<byte> pathBytes = stackalloc byte[ProcFs.MaxPath];
        if (Encoding.UTF8.GetByteCount(path) >= pathBytes.Length)
        {
            return 0;
        }

        pathBytes[Encoding.UTF8.GetBytes(path, pathBytes)] = 0;
        return LinkTarget(pathBytes);
    }

    // readlink into a stack buffer: "socket:[12345]" → 12345, anything else → 0.
    private static unsafe ulong LinkTarget(ReadOnlySpan<byte> nulTerminatedPath)
    {
        var target = stackalloc byte[64];
        nint read;
        fixed (byte* p = nulTerminatedPath)
        {
            read = ProcessNative.ReadLink(p, target, 64);
        }

        if (read < 9)
        {
            return 0;
        }

        var text = new ReadOnlySpan<byte>(target, (int)read);
        if (!text.StartsWith("socket:["u8) || text[^1] != (byte)']')
        {
            return 0;
        }

        return System.Buffers.Text.Utf8Parser.TryParse(text[8..^1], out ulong inode, out var used) && used == text.Length - 9 ? inode : 0;
    }

    private enum ScanResult
    {
        Read,
        Unreadable,
        Gone,
    }

    private sealed class Owner(int pid, int fd, ulong start, long verifiedAt, int pass)
    {
        public int Pid { get; } = pid;

        public int Fd { get; } = fd;

        public ulong Start { get; } = start;

        public long VerifiedAt { get; set; } = verifiedAt;

        public int Pass { get; set; } = pass;
    }
}
