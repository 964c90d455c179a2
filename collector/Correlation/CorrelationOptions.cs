using Fleet502.Collector.Hosting;

namespace Fleet502.Collector.Correlation;

/// <summary>When incidents resolve and re-open (config section <c>Correlation</c>).</summary>
internal sealed class CorrelationOptions : IValidatableOptions
{
    public const string Section = "Correlation";

    /// <summary>An open incident resolves after this long without a new symptom, once its target is healthy. Default 2 minutes.</summary>
    public TimeSpan QuietPeriod { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often open incidents are checked for resolution. Default 5 seconds.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A symptom this soon after resolution re-opens the incident (flap) instead of opening a new one. Default 10 minutes.</summary>
    public TimeSpan ReopenWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>An agent not heard from (no event, no heartbeat) for this long is offline and feeds the host-down rule. Default 30 seconds (three heartbeats).</summary>
    public TimeSpan AgentOfflineAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After a restart, host state (services, pools, OOM kills, listener history, access windows) is rebuilt from stored events this recent. Default 15 minutes.</summary>
    public TimeSpan RestoreLookback { get; set; } = TimeSpan.FromMinutes(15);

    public IEnumerable<string> Validate()
    {
        if (AgentOfflineAfter < TimeSpan.FromSeconds(1))
        {
            yield return $"Correlation:AgentOfflineAfter {AgentOfflineAfter} must be at least 00:00:01";
        }

        if (RestoreLookback < TimeSpan.Zero)
        {
            yield return $"Correlation:RestoreLookback {RestoreLookback} must not be negative";
        }

        if (QuietPeriod < TimeSpan.FromSeconds(1))
        {
            yield return $"Correlation:QuietPeriod {QuietPeriod} must be at least 00:00:01";
        }

        if (CheckInterval < TimeSpan.FromMilliseconds(100) || CheckInterval > QuietPeriod)
        {
            yield return $"Correlation:CheckInterval {CheckInterval} must be between 00:00:00.1 and QuietPeriod";
        }

        if (ReopenWindow < TimeSpan.Zero)
        {
            yield return $"Correlation:ReopenWindow {ReopenWindow} must not be negative";
        }
    }
}
