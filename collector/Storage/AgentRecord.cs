using Fleet502.Protos.V1;

namespace Fleet502.Collector.Storage;

/// <summary>One agent as stored: what it said in Hello, how far its events got, its newest listeners.</summary>
internal sealed record AgentRecord(
    string Id,
    string Hostname,
    IReadOnlyList<string> Addresses,
    IReadOnlyList<string> Roles,
    string Version,
    ulong LastSeq,
    DateTimeOffset LastSeen,
    ListenerSnapshot? Listeners,
    DateTimeOffset? ListenersAt)
{
    /// <summary>The newest nginx config the agent sent (nginx -T is read at start and on change, so it can be old).</summary>
    public ProxyConfig? ProxyConfig { get; init; }

    public DateTimeOffset? ProxyConfigAt { get; init; }
}
