namespace Fleet502.Agent.Sources.KernelLog;

/// <summary>What a kernel (mm/oom_kill.c) or systemd (service.c, unit.c) line reports.</summary>
public enum KernelEventKind : byte
{
    Unknown = 0,
    /// <summary><c>COMM invoked oom-killer: gfp_mask=...</c> (the invoker is not necessarily the victim).</summary>
    OomInvoked,
    /// <summary><c>oom-kill:constraint=...,task_memcg=...,task=COMM,pid=N,uid=N</c>.</summary>
    OomConstraint,
    /// <summary><c>[Memory cgroup ]Out of memory: Killed process N (COMM) ...</c> or the very old forms.</summary>
    OomKilled,
    /// <summary><c>oom_reaper: reaped process N (COMM), now anon-rss:0kB, ...</c>.</summary>
    OomReaped,
    /// <summary><c>Out of memory and no killable processes...</c>.</summary>
    OomPanic,
    /// <summary><c>UNIT: Main process exited, code=killed, status=9/KILL</c>.</summary>
    UnitMainProcessExited,
    /// <summary><c>UNIT: A process of this unit has been killed by the OOM killer.</c></summary>
    UnitOomKilled,
    /// <summary><c>UNIT: Failed with result 'oom-kill'.</c></summary>
    UnitFailed,
    /// <summary><c>UNIT: Scheduled restart job, restart counter is at N.</c></summary>
    UnitRestartScheduled,
    /// <summary><c>UNIT: Start request repeated too quickly.</c>: no more restarts.</summary>
    UnitStartLimitHit,
    /// <summary><c>UNIT: Consumed ... CPU time</c>, <c>Deactivated successfully.</c></summary>
    UnitStopped,
}
