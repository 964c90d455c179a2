namespace Fleet502.Agent.Configuration;

/// <summary>How the host's listening sockets are sampled.</summary>
public sealed class ListenerOptions
{
    /// <summary>Sampling interval; a snapshot is sent when the set changes. Default 2 s.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A full snapshot is sent at least this often, so a restarted collector rebuilds state. Default 30 s.</summary>
    public TimeSpan FullSnapshotInterval { get; set; } = TimeSpan.FromSeconds(30);
}
