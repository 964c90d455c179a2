namespace Fleet502.Agent.Configuration;

/// <summary>How the host's listening sockets are sampled.</summary>
public sealed class ListenerOptions
{
    /// <summary>Sampling interval; a snapshot is sent when the set changes. Default 2 s.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A full snapshot is sent at least this often, so a restarted collector rebuilds state. Default 30 s.</summary>
    public TimeSpan FullSnapshotInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The user unix socket permissions are checked for (nginx's worker user). Default: the first
    /// of www-data, nginx, http, nobody that exists.
    /// </summary>
    public string? ClientUser { get; set; }

    /// <summary>Unix socket paths reported even when nothing listens (e.g. every fastcgi_pass unix: target).</summary>
    public List<string> WatchUnixPaths { get; set; } = [];
}
