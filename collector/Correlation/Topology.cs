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

    // Who listened where before: enough for every port of a busy host to be remembered once.
    private const int MaxPastListeners = 256;

    // Newest window per (server, upstream); a proxy with more pairs keeps the most recent ones.
    private const int MaxAccessWindows = 512;

    private readonly Dictionary<string, HostState> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<IPAddress, string> _byAddress = []; // every symptom asks; a fleet has thousands of hosts
    private readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);
    private long _version;

    public int Count => _hosts.Count;

    /// <summary>
    /// Changes whenever what the rules read about the host changes (listeners, services, pools, OOM
    /// kills, nginx config, roles, connection), but not for access windows or being heard from:
    /// a verdict taken at one version still holds at the same version.
    /// </summary>
    public long StateVersion(string agentId) => _versions.GetValueOrDefault(agentId);

    /// <summary>Changes whenever any host's addresses change, so targets may resolve to another owner.</summary>
    public long AddressVersion { get; private set; }

    public HostState? Get(string? agentId) =>
        agentId is not null && _hosts.TryGetValue(agentId, out var host) ? host : null;

    /// <summary>Adds or renames a host; a known listener snapshot is kept.</summary>
    public HostState Upsert(string agentId, string hostname, IEnumerable<string> addresses, IEnumerable<string>? roles = null)
    {
        var parsed = addresses
            .Select(a => IPAddress.TryParse(a, out var ip) ? Normalize(ip) : null)
            .OfType<IPAddress>()
            .ToHashSet();
        var previous = Get(agentId);
        foreach (var old in previous?.Addresses ?? new HashSet<IPAddress>())
        {
            if (_byAddress.TryGetValue(old, out var owner) && owner == agentId)
            {
                _byAddress.Remove(old);
            }
        }

        foreach (var ip in parsed)
        {
            _byAddress[ip] = agentId;
        }

        // A rename keeps everything else known about the host.
        var host = previous is null ? new HostState(agentId, hostname, parsed, null, null) : previous with { Hostname = hostname, Addresses = parsed };
        if (roles is not null)
        {
            host = host with { Roles = [.. roles] };
        }

        _hosts[agentId] = host;
        Changed(agentId);
        AddressVersion++;
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

        var past = host.PastListeners;
        if (host.Listeners is { } previous && host.ListenersAt is { } previousAt)
        {
            // Gone since the previous snapshot: remember who listened there, and until when.
            foreach (var gone in previous.Listeners.Where(l => !snapshot.Listeners.Any(n => SameSocket(n, l))))
            {
                past = past.Add(new(previousAt, gone));
            }

            if (past.Count > MaxPastListeners)
            {
                past = past.RemoveRange(0, past.Count - MaxPastListeners);
            }
        }

        _hosts[agentId] = host with { Listeners = snapshot, ListenersAt = sampledAt, PastListeners = past };
        Changed(agentId);
        return true;
    }

    /// <summary>
    /// Folds one state event (service, pool, OOM kill, nginx config) into its host, newest wins per
    /// service or pool.
    /// </summary>
    public void Apply(string agentId, Event e)
    {
        var host = Get(agentId) ?? Upsert(agentId, agentId, []);
        var before = host;
        // Liveness is kept on the collector's clock (Heard, SetConnected), not the agent's.
        var at = e.Time?.ToDateTimeOffset() ?? DateTimeOffset.MinValue;

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
            case Event.BodyOneofCase.AccessWindow:
                var windowKey = HostState.WindowKey(e.AccessWindow);
                if (!host.AccessWindows.TryGetValue(windowKey, out var window) || window.At <= at)
                {
                    var windows = host.AccessWindows.SetItem(windowKey, new(at, e.AccessWindow));
                    if (windows.Count > MaxAccessWindows)
                    {
                        windows = windows.Remove(windows.MinBy(w => w.Value.At).Key);
                    }

                    host = host with { AccessWindows = windows };
                }

                break;
            case Event.BodyOneofCase.ProxyConfig:
                if (host.ProxyConfig is null || host.ProxyConfig.At <= at)
                {
                    host = host with { ProxyConfig = new(at, e.ProxyConfig) };
                }

                break;
        }

        if (!ReferenceEquals(host, before))
        {
            _hosts[agentId] = host;
            if (e.BodyCase != Event.BodyOneofCase.AccessWindow)
            {
                Changed(agentId);
            }
        }
    }

    /// <summary>Marks the agent's stream open or closed (closed agents can go offline).</summary>
    public void SetConnected(string agentId, bool connected, DateTimeOffset at)
    {
        var host = Get(agentId) ?? Upsert(agentId, agentId, []);
        _hosts[agentId] = host with { Connected = connected, LastHeard = host.LastHeard is { } heard && heard > at ? heard : at };
        if (host.Connected != connected)
        {
            Changed(agentId);
        }
    }

    /// <summary>The host that owns <paramref name="target"/> as seen from <paramref name="reporter"/> (see <see cref="FleetLookup.OwnerOf"/>).</summary>
    public HostState? ResolveOwner(TargetAddress target, HostState? reporter) =>
        FleetLookup.OwnerOf(target, reporter, ip => _byAddress.TryGetValue(ip, out var id) ? Get(id) : null);

    /// <summary>Every known host.</summary>
    public IReadOnlyCollection<HostState> Hosts => _hosts.Values;

    /// <summary>Records that the collector heard from the agent at <paramref name="at"/> (its own clock).</summary>
    public void Heard(string agentId, DateTimeOffset at)
    {
        var host = Get(agentId) ?? Upsert(agentId, agentId, []);
        if (host.LastHeard is null || at > host.LastHeard)
        {
            _hosts[agentId] = host with { LastHeard = at };
        }
    }

    private void Changed(string agentId) => _versions[agentId] = ++_version;

    private static bool SameSocket(Listener a, Listener b) =>
        a.Transport == b.Transport && a.Port == b.Port && a.Address == b.Address && a.UnixPath == b.UnixPath && a.Pid == b.Pid;

    private static IPAddress Normalize(IPAddress ip) => ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
}
