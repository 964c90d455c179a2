using System.Collections.Immutable;
using System.Net;
using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis;

/// <summary>
/// What is known about one host (one agent) around the time of a symptom: who it is, what listens on
/// it, its supervised services, PHP-FPM pools, recent OOM kills and nginx configuration. The
/// collector builds it from the agent's events; the agent's <c>doctor</c> builds it from one local
/// sampling pass. Immutable: rules read it, never change it.
/// </summary>
/// <param name="AgentId">The agent's id; a host is its agent.</param>
/// <param name="Hostname">For humans.</param>
/// <param name="Addresses">The host's own non-loopback addresses, from Hello.</param>
/// <param name="Listeners">The newest listener snapshot, or null when none was received yet.</param>
/// <param name="ListenersAt">When <paramref name="Listeners"/> was sampled.</param>
public sealed record HostState(
    string AgentId,
    string Hostname,
    IReadOnlySet<IPAddress> Addresses,
    ListenerSnapshot? Listeners,
    DateTimeOffset? ListenersAt)
{
    /// <summary>Newest state of each supervised service, keyed by <see cref="ServiceKey"/>.</summary>
    public ImmutableDictionary<string, Timed<ServiceState>> Services { get; init; } =
        ImmutableDictionary<string, Timed<ServiceState>>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>Newest status of each PHP-FPM pool, keyed by its endpoint.</summary>
    public ImmutableDictionary<string, Timed<FpmPool>> FpmPools { get; init; } =
        ImmutableDictionary<string, Timed<FpmPool>>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>Recent kernel OOM kills, oldest first (bounded by whoever builds the state).</summary>
    public ImmutableList<Timed<OomKill>> OomKills { get; init; } = [];

    /// <summary>The newest nginx configuration read with <c>nginx -T</c>, when the host runs nginx.</summary>
    public Timed<ProxyConfig>? ProxyConfig { get; init; }

    /// <summary>What the host is, from Hello: "load_balancer", "app", "cdn_probe", ...</summary>
    public ImmutableArray<string> Roles { get; init; } = [];

    /// <summary>
    /// Listeners that were in an older snapshot and are gone from a newer one, each with the last
    /// time it was seen, oldest first (bounded): who listened on a target before it went quiet.
    /// </summary>
    public ImmutableList<Timed<Listener>> PastListeners { get; init; } = [];

    /// <summary>The newest access-log window per (server, upstream), keyed "server|upstream" (bounded).</summary>
    public ImmutableDictionary<string, Timed<AccessWindow>> AccessWindows { get; init; } =
        ImmutableDictionary<string, Timed<AccessWindow>>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>When anything was last heard from the agent (an event or a heartbeat).</summary>
    public DateTimeOffset? LastHeard { get; init; }

    /// <summary>True while the agent's stream to the collector is open (always true for doctor).</summary>
    public bool Connected { get; init; } = true;

    /// <summary>The key of an access window in <see cref="AccessWindows"/>.</summary>
    public static string WindowKey(AccessWindow window) => $"{window.Server}|{window.Upstream}";

    public bool Owns(IPAddress address) => IPAddress.IsLoopback(address) || Addresses.Contains(address);

    /// <summary>The key of a service in <see cref="Services"/>: "systemd:app.service", "pm2:api", ...</summary>
    public static string ServiceKey(ServiceState service) =>
        $"{ProtoEnumName.ToSnakeCase(service.Supervisor)}:{service.Name}";
}
