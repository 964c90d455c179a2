using System.ComponentModel.DataAnnotations;

namespace Fleet502.Agent.Configuration;

/// <summary>Where and how the agent streams its events.</summary>
public sealed class CollectorOptions
{
    /// <summary>The collector's gRPC endpoint, e.g. <c>http://collector:7400</c>.</summary>
    [Required(ErrorMessage = "Collector:Url is required (the collector's gRPC address, e.g. http://collector:7400).")]
    public string Url { get; set; } = "";

    /// <summary>The agent token (one of the collector's Auth:AgentTokens).</summary>
    public string? Token { get; set; }

    /// <summary>A file holding the token (e.g. a systemd credential); wins over <see cref="Token"/>.</summary>
    public string? TokenFile { get; set; }

    /// <summary>Longest wait between reconnect attempts. Default 30 s.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Events held while unacknowledged; when full, sources stop reading. Default 20,000.</summary>
    [Range(100, 10_000_000)]
    public int MaxInFlightEvents { get; set; } = 20_000;

    /// <summary>Disk spool bound (StateDirectory/spool); when full, sources stop reading. Default 64 MiB.</summary>
    [Range(1024 * 1024, 1L << 40)]
    public long SpoolMaxBytes { get; set; } = 64 * 1024 * 1024;
}
