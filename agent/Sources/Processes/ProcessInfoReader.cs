using System.Globalization;
using System.Text;

namespace Fleet502.Agent.Sources.Processes;

/// <summary>
/// pid → name, command line, uid, cgroup (→ unit, container), cached per process incarnation
/// (pid + start time) so a pass only re-reads processes it has not seen.
/// </summary>
public sealed class ProcessInfoReader(string procRoot = "/proc")
{
    private const int MaxCommandLine = 1024;
    private readonly Dictionary<int, ProcessInfo> _cache = [];

    /// <summary>The process, or null when it is gone (or hidden from us).</summary>
    public ProcessInfo? Read(int pid)
    {
        var dir = Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture));
        if (!TryReadStat(dir, out var parent, out var start))
        {
            _cache.Remove(pid);
            return null;
        }

        if (_cache.TryGetValue(pid, out var cached) && cached.StartTicks == start)
        {
            return cached;
        }

        var cgroup = CgroupPath.Select(ReadText(Path.Combine(dir, "cgroup")));
        var info = new ProcessInfo(
            pid,
            parent,
            ReadText(Path.Combine(dir, "comm")).TrimEnd('\n'),
            ReadCommandLine(Path.Combine(dir, "cmdline")),
            ReadUid(Path.Combine(dir, "status")),
            cgroup,
            CgroupPath.SystemdUnit(cgroup),
            CgroupPath.ContainerId(cgroup),
            start);
        _cache[pid] = info;
        return info;
    }

    /// <summary>Drops cached processes not in <paramref name="alive"/> (called once per pass).</summary>
    public void Retain(IReadOnlySet<int> alive)
    {
        foreach (var pid in _cache.Keys.Where(p => !alive.Contains(p)).ToList())
        {
            _cache.Remove(pid);
        }
    }

    // /proc/<pid>/stat: "pid (comm) state ppid ... starttime(22nd field)"; comm may hold spaces and ')'.
    private static bool TryReadStat(string dir, out int parent, out ulong start)
    {
        parent = 0;
        start = 0;
        var stat = ReadText(Path.Combine(dir, "stat"));
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return false;
        }

        var fields = stat.AsSpan(close + 2);
        var index = 0;
        foreach (var range in fields.Split(' '))
        {
            var field = fields[range];
            if (index == 1)
            {
                _ = int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out parent);
            }
            else if (index == 19)
            {
                return ulong.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out start);
            }

            index++;
        }

        return false;
    }

    private static string ReadCommandLine(string path)
    {
        var text = ReadText(path);
        if (text.Length > MaxCommandLine)
        {
            text = text[..MaxCommandLine];
        }

        return text.TrimEnd('\0').Replace('\0', ' ');
    }

    private static uint ReadUid(string path)
    {
        foreach (var line in ReadText(path).Split('\n'))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                var fields = line[4..].Split('\t', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 0 && uint.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var uid))
                {
                    return uid;
                }
            }
        }

        return 0;
    }

    // procfs files report size 0; read them whole in one go. Gone or forbidden reads as empty.
    internal static string ReadText(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            Span<byte> buffer = stackalloc byte[4096];
            var total = 0;
            int read;
            while (total < buffer.Length && (read = stream.Read(buffer[total..])) > 0)
            {
                total += read;
            }

            return Encoding.UTF8.GetString(buffer[..total]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
