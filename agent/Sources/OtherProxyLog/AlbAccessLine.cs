namespace Fleet502.Agent.Sources.OtherProxyLog;

/// <summary>One AWS Application Load Balancer access-log entry; spans are slices of the input.</summary>
public ref struct AlbAccessLine
{
    /// <summary>http, https, h2, grpcs, ws, wss.</summary>
    public ReadOnlySpan<byte> Type;
    public ReadOnlySpan<byte> Time;
    public ReadOnlySpan<byte> Client;
    /// <summary><c>ip:port</c>, or <c>-</c> when no target was chosen.</summary>
    public ReadOnlySpan<byte> Target;
    /// <summary>Seconds; -1 when the ALB could not dispatch or the target closed the connection.</summary>
    public double RequestProcessingTime;
    public double TargetProcessingTime;
    public double ResponseProcessingTime;
    public int ElbStatus;
    /// <summary>0 when the target sent no response (<c>-</c>).</summary>
    public int TargetStatus;
    public ReadOnlySpan<byte> Request;
}
