namespace Fleet502.Agent.Configuration;

/// <summary>PHP-FPM pools whose status page the agent reads over FastCGI (configured ones and those found in php-fpm's pool files), and php-fpm's error log.</summary>
public sealed class PhpFpmOptions
{
    /// <summary>Default 2 s.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Default 30 s.</summary>
    public TimeSpan FullSnapshotInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for a status answer. Default 2 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Pools given by address; each also gets its pm.max_children when a discovered pool file declares that address.</summary>
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

    /// <summary>
    /// Also sample every pool found in php-fpm's pool files that sets <c>pm.status_path</c> (status
    /// asked at its <c>pm.status_listen</c>, else its <c>listen</c>). Default true.
    /// </summary>
    public bool Discover { get; set; } = true;

    /// <summary>Pool files to read; empty: the usual places (/etc/php/*/fpm/pool.d/*.conf, /etc/php-fpm.d/*.conf, ...).</summary>
    public List<string> PoolFiles { get; set; } = [];
}
