using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.NginxErrorLog;

/// <summary>
/// One error.log line split into nginx's fixed prefix, message and context. Every span is a
/// slice of the input line, so parsing allocates nothing.
/// </summary>
public ref struct NginxErrorLine
{
    /// <summary>The timestamp as written: host local time, no zone, second resolution.</summary>
    public DateTime? LocalTime;
    public NginxLogLevel Level;
    public int Pid;
    public long Tid;
    /// <summary>The client connection number (<c>*CID</c>), -1 when the line has none.</summary>
    public long ConnectionId;
    /// <summary>The message without the errno suffix and the phase.</summary>
    public ReadOnlySpan<byte> Message;
    /// <summary>errno from <c> (111: Connection refused)</c>; 0 when absent.</summary>
    public int Errno;
    public ReadOnlySpan<byte> ErrnoText;
    /// <summary>The text after <c> while </c>, e.g. <c>connecting to upstream</c>.</summary>
    public ReadOnlySpan<byte> PhaseText;
    public Phase Phase;
    public ReadOnlySpan<byte> Client;
    public ReadOnlySpan<byte> Server;
    public ReadOnlySpan<byte> Request;
    /// <summary>The upstream field without quotes, e.g. <c>http://127.0.0.1:3000/api</c>.</summary>
    public ReadOnlySpan<byte> Upstream;
    public ReadOnlySpan<byte> Host;
    public ReadOnlySpan<byte> Referrer;
    /// <summary>True when the context part was present (<c>, client: ...</c> or <c>, server: ...</c>).</summary>
    public bool HasContext;
    /// <summary>
    /// True for stream (TCP/UDP) proxy lines: <c>bytes from/to</c> context, <c>udp client:</c>, or an
    /// upstream without a scheme. They have no HTTP response, so no status.
    /// </summary>
    public bool IsStream;
}
