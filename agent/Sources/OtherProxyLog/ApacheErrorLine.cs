namespace Fleet502.Agent.Sources.OtherProxyLog;

/// <summary>One Apache httpd error_log line; spans are slices of the input (no allocation).</summary>
public ref struct ApacheErrorLine
{
    /// <summary>From <c>[proxy_fcgi:error]</c> (2.4); empty on 2.2 lines, which carry only the level.</summary>
    public ReadOnlySpan<byte> Module;
    public ReadOnlySpan<byte> Level;
    /// <summary>OS errno or APR status from <c>(111)Connection refused:</c> (70007 = APR_TIMEUP, 20014 = APR_EGENERAL); 0 when absent.</summary>
    public int Errno;
    public ReadOnlySpan<byte> ErrnoText;
    /// <summary>The AH message code (<c>AH01102</c> is 1102); 0 on 2.2 lines.</summary>
    public int Code;
    public ReadOnlySpan<byte> Client;
    /// <summary>The message after the code (or after the errno on 2.2 lines).</summary>
    public ReadOnlySpan<byte> Message;
    /// <summary>The backend the message names (<c>127.0.0.1:8000</c>, a unix socket path), when it names one.</summary>
    public ReadOnlySpan<byte> Backend;
}
