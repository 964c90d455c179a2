namespace Fleet502.Agent.Configuration;

/// <summary>PHP-FPM pools whose status page the agent reads over FastCGI, and php-fpm's error log.</summary>
public sealed class PhpFpmOptions
{
    /// <summary>Default 2 s.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Default 30 s.</summary>
    public TimeSpan FullSnapshotInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for a status answer. Default 2 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    public List<FpmPoolOptions> Pools { get; set; } = [];

    /// <summary>Follow php-fpm's error log (max_children, killed children, slow and terminated requests). Default true.</summary>
    public bool FollowErrorLog { get; set; } = true;

    /// <summary>
    /// php-fpm error logs (paths or globs). When empty: the <c>error_log</c> of the configs of running
    /// masters and of <see cref="ConfigFiles"/>, else <c>/var/log/php*-fpm.log</c>.
    /// </summary>
    public List<string> ErrorLogs { get; set; } = [];

    /// <summary>php-fpm configs to read <c>error_log</c> from when <see cref="ErrorLogs"/> is empty. Default: the distributions' paths.</summary>
    public List<string> ConfigFiles { get; set; } = [];

    /// <summary>Identical lines within this much of the log's time are one event with a count. Default 1 s.</summary>
    public TimeSpan CoalesceWindow { get; set; } = TimeSpan.FromSeconds(1);
}
