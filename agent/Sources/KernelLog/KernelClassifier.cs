using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.KernelLog;

/// <summary>
/// What a kernel/systemd line means for a backend (catalogue section 7): an OOM kill or a crash ends the
/// requests in flight (upstream_crash); a unit that exits with an error or stops restarting is down.
/// These lines carry no HTTP status of their own.
/// </summary>
public static class KernelClassifier
{
    public static Classification Classify(in KernelLine line) => line.Kind switch
    {
        KernelEventKind.OomInvoked or KernelEventKind.OomConstraint or KernelEventKind.OomKilled
            or KernelEventKind.OomReaped or KernelEventKind.OomPanic or KernelEventKind.UnitOomKilled => new(Cause.UpstreamCrash, 0),
        KernelEventKind.UnitMainProcessExited => MainProcessExited(line),
        KernelEventKind.UnitFailed => Failed(line.Result),
        KernelEventKind.UnitRestartScheduled or KernelEventKind.UnitStartLimitHit => new(Cause.BackendDown, 0),
        _ => Classification.None,
    };

    private static Classification MainProcessExited(in KernelLine line)
    {
        // code=killed / code=dumped: a signal ended it (OOM SIGKILL, SIGSEGV); code=exited with non-zero: it quit.
        if (line.ExitCode.SequenceEqual("killed"u8) || line.ExitCode.SequenceEqual("dumped"u8))
        {
            return new(Cause.UpstreamCrash, 0);
        }

        return line.ExitStatus.StartsWith("0/"u8) || line.ExitStatus.SequenceEqual("0"u8)
            ? Classification.None
            : new(Cause.BackendDown, 0);
    }

    private static Classification Failed(ReadOnlySpan<byte> result)
    {
        // Older systemd reports 'signal' even for OOM victims.
        if (result.SequenceEqual("oom-kill"u8) || result.SequenceEqual("signal"u8) || result.SequenceEqual("core-dump"u8)
            || result.SequenceEqual("watchdog"u8))
        {
            return new(Cause.UpstreamCrash, 0);
        }

        return result.IsEmpty || result.SequenceEqual("success"u8) ? Classification.None : new(Cause.BackendDown, 0);
    }
}
