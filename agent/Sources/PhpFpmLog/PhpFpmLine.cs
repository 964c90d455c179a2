namespace Fleet502.Agent.Sources.PhpFpmLog;

/// <summary>One php-fpm error-log or slowlog line; spans are slices of the input (no allocation).</summary>
public ref struct PhpFpmLine
{
    /// <summary><c>[DD-Mon-YYYY HH:MM:SS]</c>, host local time without a zone.</summary>
    public DateTime? LocalTime;
    public PhpFpmLevel Level;
    public PhpFpmEventKind Kind;
    /// <summary>The pool from <c>[pool www]</c>.</summary>
    public ReadOnlySpan<byte> Pool;
    /// <summary>The child (or slowlog) pid; 0 when absent.</summary>
    public int Pid;
    /// <summary>Signal number for <see cref="PhpFpmEventKind.ChildExitedOnSignal"/>, exit code for <see cref="PhpFpmEventKind.ChildExitedWithCode"/>.</summary>
    public int Code;
    /// <summary>Signal name, e.g. <c>SIGKILL</c>.</summary>
    public ReadOnlySpan<byte> SignalName;
    /// <summary>Seconds from start (child exits) or request duration (slow/timed out).</summary>
    public double Seconds;
    /// <summary>The max_children value, or the number of children being spawned.</summary>
    public int Limit;
    public ReadOnlySpan<byte> Script;
    public ReadOnlySpan<byte> Request;
    /// <summary>The message after the level (and after a syslog <c>function(), line N: </c>).</summary>
    public ReadOnlySpan<byte> Message;
}
