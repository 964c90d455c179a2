namespace Fleet502.Agent.Sources.Probes;

/// <summary>
/// Requests through a CDN (config section <c>Probes</c>). No agent runs inside a CDN, so a
/// CDN-tier failure is only seen by asking the CDN: each target's URL is fetched through the CDN and,
/// when the CDN answers with its own error page, the same request is sent to the origin directly.
/// </summary>
public sealed class ProbeOptions
{
    /// <summary>How often each target is probed. Default 30 s.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Public URLs served through a CDN, each with the origin (host:port) the CDN should reach. None by default.</summary>
    public List<ProbeTarget> Targets { get; set; } = [];
}
