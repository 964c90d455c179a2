namespace Fleet502.Agent.Sources.KernelLog;

/// <summary>One kernel or systemd journal line; spans are slices of the input (no allocation).</summary>
public ref struct KernelLine
{
    public KernelEventKind Kind;
    /// <summary>Victim (or invoking) pid; 0 when absent.</summary>
    public int Pid;
    /// <summary>Process name: the victim, or the invoker for <see cref="KernelEventKind.OomInvoked"/>.</summary>
    public ReadOnlySpan<byte> Command;
    /// <summary>True for a cgroup (container / unit limit) OOM rather than a host-wide one.</summary>
    public bool Memcg;
    /// <summary><c>task_memcg=/docker/&lt;id&gt;</c> or a kubepods path, when printed.</summary>
    public ReadOnlySpan<byte> TaskMemcg;
    /// <summary>Anonymous RSS of the victim in kB; -1 when absent.</summary>
    public long AnonRssKb;
    /// <summary>systemd unit, e.g. <c>php8.2-fpm.service</c>.</summary>
    public ReadOnlySpan<byte> Unit;
    /// <summary><c>killed</c>, <c>exited</c>, <c>dumped</c> (Main process exited).</summary>
    public ReadOnlySpan<byte> ExitCode;
    /// <summary><c>9/KILL</c>, <c>1/FAILURE</c>, <c>11/SEGV</c>.</summary>
    public ReadOnlySpan<byte> ExitStatus;
    /// <summary><c>oom-kill</c>, <c>signal</c>, <c>exit-code</c>, ... (Failed with result).</summary>
    public ReadOnlySpan<byte> Result;
    public int RestartCounter;
    /// <summary>The text from the recognised message on.</summary>
    public ReadOnlySpan<byte> Message;
}
