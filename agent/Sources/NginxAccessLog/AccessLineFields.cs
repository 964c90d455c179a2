namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>Where, in a compiled format's value slots, the variables a window needs are (-1: not logged).</summary>
public sealed class AccessLineFields
{
    public AccessLineFields(LogFormat format)
    {
        ArgumentNullException.ThrowIfNull(format);
        Status = format.IndexOf("status");
        BodyBytesSent = format.IndexOf("body_bytes_sent");
        RequestTime = format.IndexOf("request_time");
        TimeLocal = format.IndexOf("time_local");
        TimeIso8601 = format.IndexOf("time_iso8601");
        Msec = format.IndexOf("msec");
        ServerName = format.IndexOf("server_name");
        Host = format.IndexOf("host");
        HttpHost = format.IndexOf("http_host");
        UpstreamAddr = format.IndexOf("upstream_addr");
        UpstreamStatus = format.IndexOf("upstream_status");
        UpstreamResponseTime = format.IndexOf("upstream_response_time");
        UpstreamHeaderTime = format.IndexOf("upstream_header_time");
        UpstreamBytesReceived = format.IndexOf("upstream_bytes_received");
        ProxyUpstreamName = format.IndexOf("proxy_upstream_name");
        SlotCount = format.Variables.Count;
    }

    public int Status { get; }
    public int BodyBytesSent { get; }
    public int RequestTime { get; }
    public int TimeLocal { get; }
    public int TimeIso8601 { get; }
    public int Msec { get; }
    public int ServerName { get; }
    public int Host { get; }
    public int HttpHost { get; }
    public int UpstreamAddr { get; }
    public int UpstreamStatus { get; }
    public int UpstreamResponseTime { get; }
    public int UpstreamHeaderTime { get; }
    public int UpstreamBytesReceived { get; }
    public int ProxyUpstreamName { get; }
    public int SlotCount { get; }

    /// <summary>The format can say whether a 502/504 came from nginx itself.</summary>
    public bool KnowsVerdict => UpstreamHeaderTime >= 0 || UpstreamBytesReceived >= 0;

    public bool HasTime => TimeLocal >= 0 || TimeIso8601 >= 0 || Msec >= 0;
}
