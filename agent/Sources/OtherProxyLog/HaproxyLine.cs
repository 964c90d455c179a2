namespace Fleet502.Agent.Sources.OtherProxyLog;

/// <summary>One HAProxy <c>option httplog</c> line; spans are slices of the input.</summary>
public ref struct HaproxyLine
{
    public ReadOnlySpan<byte> Frontend;
    public ReadOnlySpan<byte> Backend;
    /// <summary>The server, or <c>&lt;NOSRV&gt;</c> when none was selected.</summary>
    public ReadOnlySpan<byte> Server;
    /// <summary><c>TR/Tw/Tc/Tr/Ta</c> as logged (-1 for a phase that never completed).</summary>
    public ReadOnlySpan<byte> Timers;
    /// <summary>Tc: -1 when no connection to the server could be made.</summary>
    public int ConnectTime;
    /// <summary>Tr: -1 when no full response header arrived.</summary>
    public int ResponseTime;
    public int Status;
    /// <summary>The 4-character termination state, e.g. <c>SH--</c>.</summary>
    public ReadOnlySpan<byte> TerminationState;
    public ReadOnlySpan<byte> Request;
}
