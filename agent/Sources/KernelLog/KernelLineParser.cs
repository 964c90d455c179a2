using System.Buffers.Text;

namespace Fleet502.Agent.Sources.KernelLog;

/// <summary>
/// Recognises kernel OOM-killer and systemd unit-failure lines by their fixed phrases, whatever the
/// prefix (dmesg <c>[secs]</c>, syslog, journalctl in any locale). Never throws; allocates nothing.
/// </summary>
public static class KernelLineParser
{
    public static bool TryParse(ReadOnlySpan<byte> line, out KernelLine parsed)
    {
        parsed = default;
        parsed.AnonRssKb = -1;
        line = line.TrimEnd("\r\n"u8);
        if (line.IsEmpty)
        {
            return false;
        }

        return TryKernel(line, ref parsed) || TrySystemd(line, ref parsed);
    }

    private static bool TryKernel(ReadOnlySpan<byte> line, scoped ref KernelLine parsed)
    {
        int at;
        if ((at = line.IndexOf(" invoked oom-killer"u8)) >= 0)
        {
            parsed.Kind = KernelEventKind.OomInvoked;
            parsed.Command = LastToken(line[..at]);
            parsed.Message = line[(at - parsed.Command.Length)..];
            return true;
        }

        if ((at = line.IndexOf("oom-kill:constraint="u8)) >= 0)
        {
            var m = line[at..];
            parsed.Kind = KernelEventKind.OomConstraint;
            parsed.Memcg = m.IndexOf("oom_memcg="u8) >= 0 || m.IndexOf("CONSTRAINT_MEMCG"u8) >= 0;
            parsed.TaskMemcg = Field(m, "task_memcg="u8);
            parsed.Command = Field(m, ",task="u8);
            parsed.Pid = Int(Field(m, ",pid="u8));
            parsed.Message = m;
            return true;
        }

        if ((at = line.IndexOf("Out of memory and no killable processes"u8)) >= 0)
        {
            parsed.Kind = KernelEventKind.OomPanic;
            parsed.Message = line[at..];
            return true;
        }

        if ((at = line.IndexOf("Killed process "u8)) >= 0 || (at = line.IndexOf("Kill process "u8)) >= 0)
        {
            // "Out of memory: Killed process 15784 (python3) total-vm:11964kB, anon-rss:4288kB, ..."
            var start = line.IndexOf("Memory cgroup out of memory"u8);
            parsed.Memcg = start >= 0;
            if (start < 0)
            {
                start = line.IndexOf("Out of memory"u8);
            }

            var m = line[at..];
            parsed.Kind = KernelEventKind.OomKilled;
            parsed.Pid = Int(m[(m.IndexOf("process "u8) + "process "u8.Length)..]);
            parsed.Command = Utf8Scan.Between(m, " ("u8, ")"u8);
            parsed.AnonRssKb = Int(Field(m, "anon-rss:"u8));
            parsed.Message = line[(start >= 0 && start < at ? start : at)..];
            return true;
        }

        if ((at = line.IndexOf("oom_reaper: reaped process "u8)) >= 0)
        {
            var m = line[at..];
            parsed.Kind = KernelEventKind.OomReaped;
            parsed.Pid = Int(m["oom_reaper: reaped process "u8.Length..]);
            parsed.Command = Utf8Scan.Between(m, " ("u8, ")"u8);
            parsed.Message = m;
            return true;
        }

        if ((at = line.IndexOf("Task in "u8)) >= 0 && line.IndexOf(" killed as a result of limit of "u8) > at)
        {
            // pre-4.19 memcg OOM: "Task in /docker/<id> killed as a result of limit of /docker/<id>"
            var m = line[at..];
            parsed.Kind = KernelEventKind.OomConstraint;
            parsed.Memcg = true;
            parsed.TaskMemcg = Utf8Scan.Between(m, "Task in "u8, " "u8);
            parsed.Message = m;
            return true;
        }

        return false;
    }

    private static bool TrySystemd(ReadOnlySpan<byte> line, scoped ref KernelLine parsed)
    {
        int at;
        KernelEventKind kind;
        if ((at = line.IndexOf(": Main process exited, "u8)) >= 0)
        {
            kind = KernelEventKind.UnitMainProcessExited;
        }
        else if ((at = line.IndexOf(": A process of this unit has been killed by the OOM killer"u8)) >= 0)
        {
            kind = KernelEventKind.UnitOomKilled;
        }
        else if ((at = line.IndexOf(": Failed with result '"u8)) >= 0)
        {
            kind = KernelEventKind.UnitFailed;
        }
        else if ((at = line.IndexOf(": Scheduled restart job"u8)) >= 0)
        {
            kind = KernelEventKind.UnitRestartScheduled;
        }
        else if ((at = line.IndexOf(": Start request repeated too quickly"u8)) >= 0)
        {
            kind = KernelEventKind.UnitStartLimitHit;
        }
        else if ((at = line.IndexOf(": Consumed "u8)) >= 0 || (at = line.IndexOf(": Deactivated successfully"u8)) >= 0)
        {
            kind = KernelEventKind.UnitStopped;
        }
        else
        {
            return false;
        }

        parsed.Unit = LastToken(line[..at]);
        if (parsed.Unit.IsEmpty)
        {
            return false;
        }

        parsed.Kind = kind;
        var m = line[(at + 2)..];
        parsed.Message = m;
        switch (kind)
        {
            case KernelEventKind.UnitMainProcessExited:
                parsed.ExitCode = Field(m, "code="u8);
                parsed.ExitStatus = Field(m, "status="u8);
                break;
            case KernelEventKind.UnitFailed:
                parsed.Result = Utf8Scan.Between(m, "result '"u8, "'"u8);
                break;
            case KernelEventKind.UnitRestartScheduled:
                parsed.RestartCounter = Int(Field(m, "counter is at "u8));
                break;
        }

        return true;
    }

    // The last space-separated token before a phrase: the unit or the process name.
    private static ReadOnlySpan<byte> LastToken(ReadOnlySpan<byte> s)
    {
        s = s.TrimEnd((byte)' ');
        var space = s.LastIndexOf((byte)' ');
        return space >= 0 ? s[(space + 1)..] : s;
    }

    // "key=value," / "key:value," up to the next comma, space or period at the end.
    private static ReadOnlySpan<byte> Field(ReadOnlySpan<byte> s, ReadOnlySpan<byte> key)
    {
        var at = s.IndexOf(key);
        if (at < 0)
        {
            return default;
        }

        var value = s[(at + key.Length)..];
        var end = value.IndexOfAny((byte)',', (byte)' ');
        value = end >= 0 ? value[..end] : value;
        return value.TrimEnd((byte)'.');
    }


    private static int Int(ReadOnlySpan<byte> s) => Utf8Parser.TryParse(s, out int v, out _) ? v : 0;
}
