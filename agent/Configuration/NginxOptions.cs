using System.ComponentModel.DataAnnotations;

namespace Fleet502.Agent.Configuration;

/// <summary>Which nginx logs to follow.</summary>
public sealed class NginxOptions
{
    /// <summary>error.log paths. Default <c>/var/log/nginx/error.log</c>.</summary>
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
}
