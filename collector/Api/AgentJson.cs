using Fleet502.Collector.Correlation;
using Fleet502.Collector.Storage;

namespace Fleet502.Collector.Api;

internal sealed record AgentJson(
    string Id,
    string Hostname,
    IReadOnlyList<string> Addresses,
    IReadOnlyList<string> Roles,
    string Version,
    ulong LastSeq,
    DateTime LastSeen,
    bool Online,
    DateTime? LastHeard,
    DateTime? ListenersAt,
    int? ListenerCount)
{
    public static AgentJson From(AgentRecord agent, AgentLiveness liveness, DateTimeOffset now, TimeSpan offlineAfter) => new(
        agent.Id,
        agent.Hostname,
        agent.Addresses,
        agent.Roles,
        agent.Version,
        agent.LastSeq,
        agent.LastSeen.UtcDateTime,
        liveness.IsOnline(now, offlineAfter),
        (liveness.LastHeard ?? agent.LastSeen).UtcDateTime,
        agent.ListenersAt?.UtcDateTime,
        agent.Listeners?.Listeners.Count);
}
