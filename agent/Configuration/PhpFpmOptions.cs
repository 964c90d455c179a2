namespace Fleet502.Agent.Configuration;

/// <summary>PHP-FPM pools whose status page the agent reads over FastCGI.</summary>
public sealed class PhpFpmOptions
{
    /// <summary>Default 2 s.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Default 30 s.</summary>
    public TimeSpan FullSnapshotInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for a status answer. Default 2 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    public List<FpmPoolOptions> Pools { get; set; } = [];
}
