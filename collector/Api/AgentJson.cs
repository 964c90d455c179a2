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
    DateTime? ListenersAt,
    int? ListenerCount)
{
    public static AgentJson From(AgentRecord agent) => new(
        agent.Id,
        agent.Hostname,
        agent.Addresses,
        agent.Roles,
        agent.Version,
        agent.LastSeq,
        agent.LastSeen.UtcDateTime,
        agent.ListenersAt?.UtcDateTime,
        agent.Listeners?.Listeners.Count);
}
