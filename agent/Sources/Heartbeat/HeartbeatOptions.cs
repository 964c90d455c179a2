namespace Fleet502.Agent.Sources.Heartbeat;

/// <summary>Agent liveness (config section <c>Heartbeat</c>).</summary>
public sealed class HeartbeatOptions
{
    /// <summary>
    /// A Heartbeat event is sent this often, so the collector tells a quiet host from a dead one
    /// (it shows an agent offline after Correlation:AgentOfflineAfter, default 30 s). Default 10 s.
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);
}
