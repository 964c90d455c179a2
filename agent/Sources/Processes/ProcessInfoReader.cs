using System.Buffers.Text;
using System.Text;

namespace Fleet502.Agent.Sources.Processes;

/// <summary>
/// pid → name, command line, uid, cgroup (→ unit, container), cached per process incarnation
/// (pid + start time) so a pass only re-reads processes it has not seen, and memoised per pass
/// (<see cref="BeginPass"/>): each pid costs at most one read of <c>/proc/&lt;pid&gt;/stat</c> per pass
/// however many sockets it owns or children walk through it.
/// </summary>
public sealed class ProcessInfoReader(string procRoot = "/proc")
{
    private const int MaxCommandLine = 1024;
    private readonly byte[] _root = Encoding.UTF8.GetBytes(procRoot);
    private readonly Dictionary<int, Entry> _cache = [];
    private int _pass = 1;

    /// <summary>Processes read whole (new incarnations) so far: for tests and the benchmark.</summary>
    public int FullReads { get; private set; }

    /// <summary>Starts a pass: facts read from now on are reused until the next call.</summary>
    public void BeginPass() => _pass++;

    /// <summary>Drops cached processes the pass did not ask about (gone, or no longer owning a listener).</summary>
    public void EndPass()
    {
        foreach (var (pid, entry) in _cache)
        {
            if (entry.Pass != _pass)
            {
                _cache.Remove(pid);
            }
        }
    }

    /// <summary>The process, or null when it is gone (or hidden from us).</summary>
    public ProcessInfo? Read(int pid)
    {
        _cache.TryGetValue(pid, out var entry);
        if (entry is not null && entry.Pass == _pass)
        {
            return entry.Info;
        }

        if (!TryReadStat(_root, pid, out var parent, out var start))
        {
            _cache[pid] = new Entry(null, _pass);
            return null;
        }

        if (entry?.Info is { } cached && cached.StartTicks == start)
        {
            entry.Pass = _pass;
            return cached;
        }

        var info = ReadWhole(pid, parent, start);
        _cache[pid] = new Entry(info, _pass);
        return info;
    }

    /// <summary>Parent pid and start time (clock ticks since boot) from <c>/proc/&lt;pid&gt;/stat</c>; false when the process is gone.</summary>
    public static bool TryReadStat(ReadOnlySpan<byte> procRoot, int pid, out int parent, out ulong start)
    {
        parent = 0;
        start = 0;
        Span<byte> path = stackalloc byte[ProcFs.MaxPath];
        if (ProcFs.PidPath(path, procRoot, pid, "stat"u8) < 0)
        {
            return false;
        }

        Span<byte> buffer = stackalloc byte[1024];
        var length = ProcFs.ReadSmall(path, buffer, out _);
        return length > 0 && TryParseStat(buffer[..length], out parent, out start);
    }

    // "pid (comm) state ppid ... starttime(22nd field)"; comm may hold spaces and ')'.
    internal static bool TryParseStat(ReadOnlySpan<byte> stat, out int parent, out ulong start)
    {
        parent = 0;
        start = 0;
        var close = stat.LastIndexOf((byte)')');
        if (close < 0 || close + 2 > stat.Length)
        {
            return false;
        }

        var fields = stat[(close + 2)..];
        var at = 0;
        for (var index = 0; index < 20; index++)
        {
            var field = ProcFs.NextField(fields, ref at);
            if (field.IsEmpty)
            {
                return false;
            }

            if (index == 1)
            {
                Utf8Parser.TryParse(field, out parent, out _);
            }
            else if (index == 19)
            {
                return Utf8Parser.TryParse(field, out start, out _);
            }
        }

        return false;
    }

    private ProcessInfo ReadWhole(int pid, int parent, ulong start)
    {
        FullReads++;
        var cgroup = CgroupPath.Select(ReadText(pid, "cgroup"u8));
        return new ProcessInfo(
            pid,
            parent,
            ReadText(pid, "comm"u8).TrimEnd('\n'),
            ReadCommandLine(pid),
            ReadUid(pid),
            cgroup,
            CgroupPath.SystemdUnit(cgroup),
            CgroupPath.ContainerId(cgroup),
            start);
    }

    private string ReadCommandLine(int pid)
    {
        var text = ReadText(pid, "cmdline"u8);
        if (text.Length > MaxCommandLine)
        {
            text = text[..MaxCommandLine];
        }

        return text.TrimEnd('\0').Replace('\0', ' ');
    }

    private uint ReadUid(int pid)
    {
        // "Uid:\t<real>\t<effective>\t<saved>\t<fs>": the real uid.
        Span<byte> buffer = stackalloc byte[4096];
        var status = buffer[..Math.Max(ReadBytes(pid, "status"u8, buffer), 0)];
        var at = status.IndexOf("\nUid:\t"u8);
        return at >= 0 && Utf8Parser.TryParse(status[(at + 6)..], out uint uid, out _) ? uid : 0;
    }

    // Gone or forbidden reads as empty.
    private string ReadText(int pid, ReadOnlySpan<byte> leaf)
    {
        Span<byte> buffer = stackalloc byte[4096];
        var length = ReadBytes(pid, leaf, buffer);
        return length <= 0 ? "" : Encoding.UTF8.GetString(buffer[..length]);
    }

    private int ReadBytes(int pid, ReadOnlySpan<byte> leaf, Span<byte> buffer)
    {
        Span<byte> path = stackalloc byte[ProcFs.MaxPath];
        return ProcFs.PidPath(path, _root, pid, leaf) < 0 ? -1 : ProcFs.ReadSmall(path, buffer, out _);
    }

    private sealed class Entry(ProcessInfo? info, int pass)
    {
        public ProcessInfo? Info { get; } = info;

        public int Pass { get; set; } = pass;
    }
}
