using System.ComponentModel.DataAnnotations;

namespace Fleet502.Agent.Configuration;

/// <summary>Which nginx logs to follow.</summary>
public sealed class NginxOptions
{
    /// <summary>error.log paths and globs. Default: the error_log files `nginx -T` names, else /var/log/nginx/error.log.</summary>
    public List<string> ErrorLogs { get; set; } = [];

    /// <summary>Read files that exist at first start from the beginning instead of the end. Default false.</summary>
    public bool ReadFromStart { get; set; }

    /// <summary>Lines longer than this are cut and flagged. Default 64 KiB.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxLineBytes { get; set; } = 64 * 1024;

    /// <summary>How often files are checked for new data. Default 250 ms.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Identical errors within this window become one event. Default 1 s.</summary>
    public TimeSpan CoalesceWindow { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>access.log paths and globs. Default: the access_log files `nginx -T` names, else /var/log/nginx/access.log.</summary>
    public List<string> AccessLogs { get; set; } = [];

    /// <summary>
    /// Format of <see cref="AccessLogs"/>: "combined", "main", a log_format name from the nginx config, a format
    /// string, or a whole <c>log_format name [escape=json] '...';</c> directive. Default: per file from `nginx -T`, else combined.
    /// </summary>
    public string? LogFormat { get; set; }

    /// <summary>The nginx binary run as `nginx -T` to read the config. Default "nginx" (from PATH).</summary>
    public string NginxBinary { get; set; } = "nginx";

    /// <summary>Extra arguments after -T, e.g. ["-c", "/etc/nginx/nginx.conf"] or ["-p", "/opt/nginx/"].</summary>
    public List<string> NginxArguments { get; set; } = [];

    /// <summary>Read the nginx config (`nginx -T`) at all. Default true.</summary>
    public bool ReadConfig { get; set; } = true;

    /// <summary>How often the pid file and config mtimes are checked for a reload. Default 30 s.</summary>
    public TimeSpan ConfigRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);
}
