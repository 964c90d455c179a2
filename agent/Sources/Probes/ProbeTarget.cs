namespace Fleet502.Agent.Sources.Probes;

/// <summary>One public URL and the origin behind it.</summary>
public sealed class ProbeTarget
{
    /// <summary>An absolute http(s) URL served through the CDN, e.g. https://shop.example.com/healthz.</summary>
    public string Url { get; set; } = "";

    /// <summary>The origin the CDN should reach, host:port (this host's nginx, usually), e.g. 203.0.113.7:443.</summary>
    public string Origin { get; set; } = "";
}
