using System.Globalization;
using System.Text.RegularExpressions;
using Fleet502.Agent.Sources.Processes;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.Kernel;

/// <summary>
/// Turns the kernel's OOM-killer report (mm/oom_kill.c) into <see cref="OomKill"/>s: remembers the
/// "invoked oom-killer" and "oom-kill:constraint=..." lines, emits on the "Killed process" line.
/// Works on bare kmsg messages and on syslog/journal lines that wrap them.
/// </summary>
public sealed partial class OomKillParser
{
    private string _invokedBy = "";
    private Dictionary<string, string> _constraint = new(StringComparer.Ordinal);

    /// <summary>Feeds one message; returns the kill when this line reports one.</summary>
    public OomKill? Feed(string message, ulong kernelMicroseconds = 0)
    {
        var invoked = message.IndexOf(" invoked oom-killer:", StringComparison.Ordinal);
        if (invoked >= 0)
        {
            var start = message.LastIndexOf(' ', Math.Max(0, invoked - 1)) + 1;
            _invokedBy = message[start..invoked];
            _constraint.Clear();
            return null;
        }

        var constraint = message.IndexOf("oom-kill:", StringComparison.Ordinal);
        if (constraint >= 0)
        {
            _constraint = ParseConstraint(message[(constraint + 9)..]);
            return null;
        }

        var match = KilledLine().Match(message);
        if (!match.Success)
        {
            return null;
        }

        var kill = new OomKill
        {
            Pid = int.Parse(match.Groups["pid"].ValueSpan, CultureInfo.InvariantCulture),
            Process = match.Groups["comm"].Value,
            TotalVmKb = Kb(match, "vm"),
            AnonRssKb = Kb(match, "anon"),
            FileRssKb = Kb(match, "file"),
            ShmemRssKb = Kb(match, "shmem"),
            Uid = match.Groups["uid"].Success ? uint.Parse(match.Groups["uid"].ValueSpan, CultureInfo.InvariantCulture) : 0,
            InvokedBy = _invokedBy,
            Constraint = _constraint.GetValueOrDefault("constraint", ""),
            OomMemcg = _constraint.GetValueOrDefault("oom_memcg", ""),
            TaskMemcg = _constraint.GetValueOrDefault("task_memcg", ""),
            KernelTimeUs = kernelMicroseconds,
            Raw = message.Length > 4096 ? message[..4096] : message,
        };
        kill.GlobalOom = _constraint.ContainsKey("global_oom") || (!message.Contains("Memory cgroup", StringComparison.Ordinal) && kill.OomMemcg.Length == 0);
        if (kill.Uid == 0 && _constraint.TryGetValue("uid", out var uid))
        {
            _ = uint.TryParse(uid, NumberStyles.None, CultureInfo.InvariantCulture, out var u);
            kill.Uid = u;
        }

        kill.SystemdUnit = CgroupPath.SystemdUnit(kill.TaskMemcg);
        kill.ContainerId = CgroupPath.ContainerId(kill.TaskMemcg);
        _invokedBy = "";
        _constraint = new Dictionary<string, string>(StringComparer.Ordinal);
        return kill;
    }

    // "constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/x,task_memcg=/x,task=php-fpm,pid=1,uid=33"
    private static Dictionary<string, string> ParseConstraint(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in text.Trim().Split(','))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                fields[part[..eq]] = part[(eq + 1)..];
            }
            else if (part.Length > 0)
            {
                fields[part] = "";
            }
        }

        return fields;
    }

    private static ulong Kb(Match m, string group) =>
        m.Groups[group].Success ? ulong.Parse(m.Groups[group].ValueSpan, CultureInfo.InvariantCulture) : 0;

    // Modern, memcg and pre-4.19 forms; UID/shmem-rss are absent on older kernels.
    [GeneratedRegex(@"Killed process (?<pid>\d+) \((?<comm>[^)]*)\)(?: total-vm:(?<vm>\d+)kB, anon-rss:(?<anon>\d+)kB, file-rss:(?<file>\d+)kB(?:, shmem-rss:(?<shmem>\d+)kB)?(?:,? UID:(?<uid>\d+))?)?", RegexOptions.CultureInvariant)]
    private static partial Regex KilledLine();
}
