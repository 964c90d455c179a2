using System.Net;
using Fleet502.Protos.V1;

namespace Fleet502.Collector.Correlation;

/// <summary>
/// Every known host and which one owns an upstream target. Not thread-safe: the correlator guards it.
/// </summary>
internal sealed class Topology
{
    // Enough to tell a crash loop from a one-off; older kills stay in the event store.
    private const int MaxOomKills = 32;

    private readonly Dictionary<string, HostState> _hosts = new(StringComparer.Ordinal);

    public int Count => _hosts.Count;

    public HostState? Get(string? agentId) =>
        agentId is not null && _hosts.TryGetValue(agentId, out var host) ? host : null;

    /// <summary>Adds or renames a host; a known listener snapshot is kept.</summary>
    public HostState Upsert(string agentId, string hostname, IEnumerable<string> addresses)
    {
        var parsed = addresses
            .Select(a => IPAddress.TryParse(a, out var ip) ? Normalize(ip) : null)
            .OfType<IPAddress>()
            .ToHashSet();
        var previous = Get(agentId);
        // A rename keeps everything else known about the host.
        var host = previous is null ? new HostState(agentId, hostname, parsed, null, null) : previous with { Hostname = hostname, Addresses = parsed };
        _hosts[agentId] = host;
        return host;
    }

    /// <summary>Keeps the snapshot when it is the newest seen for that host.</summary>
    public bool SetListeners(string agentId, ListenerSnapshot snapshot, DateTimeOffset sampledAt)
    {
        var host = Get(agentId) ?? Upsert(agentId, agentId, []);
        if (host.ListenersAt is { } known && known > sampledAt)
        {
            return false;
        }

        _hosts[agentId] = host with { Listeners = snapshot, ListenersAt = sampledAt };
        return true;
    }

    /// <summary>
    /// Folds one state event (service, pool, OOM kill, nginx config) into its host, newest wins per
    /// service or pool; every event also counts as a sign of life.
    /// </summary>
    public void Apply(string agentId, Event e)
    {
        var host = Get(agentId) ?? Upsert(agentId, agentId, []);
        var at = e.Time?.ToDateTimeOffset() ?? DateTimeOffset.MinValue;
        if (host.LastHeard is null || at > host.LastHeard)
        {
            host = host with { LastHeard = at };
        }

        switch (e.BodyCase)
        {
            case Event.BodyOneofCase.ServiceState:
                var key = HostState.ServiceKey(e.ServiceState);
                if (!host.Services.TryGetValue(key, out var known) || known.At <= at)
                {
                    host = host with { Services = host.Services.SetItem(key, new(at, e.ServiceState)) };
                }

                break;
            case Event.BodyOneofCase.FpmPool:
                var endpoint = e.FpmPool.Endpoint;
                if (!host.FpmPools.TryGetValue(endpoint, out var pool) || pool.At <= at)
                {
                    host = host with { FpmPools = host.FpmPools.SetItem(endpoint, new(at, e.FpmPool)) };
                }

                break;
            case Event.BodyOneofCase.OomKill:
                var kills = host.OomKills.Add(new(at, e.OomKill));
                host = host with { OomKills = kills.Count > MaxOomKills ? kills.RemoveRange(0, kills.Count - MaxOomKills) : kills };
                break;
            case Event.BodyOneofCase.ProxyConfig:
                if (host.ProxyConfig is null || host.ProxyConfig.At <= at)
                {
                    host = host with { ProxyConfig = new(at, e.ProxyConfig) };
                }

                break;
        }

        _hosts[agentId] = host;
    }

    /// <summary>Marks the agent's stream open or closed (closed agents can go offline).</summary>
    public void SetConnected(string agentId, bool connected, DateTimeOffset at)
    {
        var host = Get(agentId) ?? Upsert(agentId, agentId, []);
        _hosts[agentId] = host with { Connected = connected, LastHeard = host.LastHeard is { } heard && heard > at ? heard : at };
    }

    /// <summary>
    /// The host that owns <paramref name="target"/> as seen from <paramref name="reporter"/>:
    /// unix sockets, loopback and the reporter's own addresses are the reporter itself; any other
    /// IP belongs to the agent whose Hello listed it. Null when no agent owns it (or it is a group).
    /// </summary>
    public HostState? ResolveOwner(TargetAddress target, HostState? reporter)
    {
        if (target.IsHostLocal)
        {
            return reporter;
        }

        if (target.Ip is not { } ip)
        {
            return null;
        }

        ip = Normalize(ip);
        return reporter is not null && reporter.Owns(ip)
            ? reporter
            : _hosts.Values.FirstOrDefault(h => h.Addresses.Contains(ip));
    }

    private static IPAddress Normalize(IPAddress ip) => ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
}
