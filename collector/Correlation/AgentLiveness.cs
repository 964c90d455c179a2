namespace Fleet502.Collector.Correlation;

/// <summary>Whether an agent's stream is open and when the collector last heard from it (its own clock).</summary>
internal readonly record struct AgentLiveness(bool Connected, DateTimeOffset? LastHeard)
{
    /// <summary>Online: connected and heard from within <paramref name="offlineAfter"/> (heartbeats keep an idle agent online).</summary>
    public bool IsOnline(DateTimeOffset now, TimeSpan offlineAfter) =>
        Connected && LastHeard is { } heard && now - heard <= offlineAfter;
}
