using System.Net;
using Fleet502.Protos.V1;

namespace Fleet502.Collector.Correlation;

/// <summary>What the collector knows about one host (one agent): who it is and what listens on it.</summary>
/// <param name="AgentId">The agent's id; a host is its agent.</param>
/// <param name="Hostname">For humans.</param>
/// <param name="Addresses">The host's own non-loopback addresses, from Hello.</param>
/// <param name="Listeners">The newest listener snapshot, or null when none was received yet.</param>
/// <param name="ListenersAt">When <paramref name="Listeners"/> was sampled.</param>
internal sealed record HostState(
    string AgentId,
    string Hostname,
    IReadOnlySet<IPAddress> Addresses,
    ListenerSnapshot? Listeners,
    DateTimeOffset? ListenersAt)
{
    public bool Owns(IPAddress address) => IPAddress.IsLoopback(address) || Addresses.Contains(address);
}
