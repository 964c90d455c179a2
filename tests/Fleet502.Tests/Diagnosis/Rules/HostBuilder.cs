using System.Collections.Immutable;
using System.Net;
using Fleet502.Diagnosis;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;

namespace Fleet502.Tests.Diagnosis.Rules;

/// <summary>Host states and symptoms for rule tests, as the collector would have folded them.</summary>
internal static class HostBuilder
{
    public static HostState Host(string id, DateTimeOffset? sampledAt, Listener[]? listeners, params string[] addresses)
    {
        ListenerSnapshot? snapshot = null;
        if (listeners is not null)
        {
            snapshot = new ListenerSnapshot();
            snapshot.Listeners.AddRange(listeners);
        }

        return new HostState(id, id, addresses.Select(IPAddress.Parse).ToHashSet(), snapshot, sampledAt) { LastHeard = sampledAt };
    }

    public static HostState WithService(this HostState host, DateTimeOffset at, ServiceState service) =>
        host with { Services = host.Services.SetItem(HostState.ServiceKey(service), new(at, service)) };

    public static HostState WithOomKill(this HostState host, DateTimeOffset at, OomKill kill) =>
        host with { OomKills = host.OomKills.Add(new(at, kill)) };

    public static HostState WithPast(this HostState host, DateTimeOffset lastSeen, Listener listener) =>
        host with { PastListeners = host.PastListeners.Add(new(lastSeen, listener)) };

    public static HostState WithConfig(this HostState host, DateTimeOffset at, ProxyConfig config) =>
        host with { ProxyConfig = new(at, config) };

    public static HostState WithWindow(this HostState host, DateTimeOffset at, AccessWindow window) =>
        host with { AccessWindows = host.AccessWindows.SetItem(HostState.WindowKey(window), new(at, window)) };

    public static HostState WithPool(this HostState host, DateTimeOffset at, FpmPool pool) =>
        host with { FpmPools = host.FpmPools.SetItem(pool.Endpoint, new(at, pool)) };

    public static ServiceState Systemd(
        string name, ServiceStatus status, DateTimeOffset? since = null, uint restarts = 0, int pid = 0,
        string result = "", int exitCode = 0, string? raw = null) => new()
    {
        Supervisor = SupervisorKind.Systemd,
        Name = name,
        Status = status,
        RawState = raw ?? (status == ServiceStatus.Failed ? "failed/failed" : ""),
        Restarts = restarts,
        MainPid = pid,
        Result = result,
        ExitCode = exitCode,
        StateSince = since is { } s ? Timestamp.FromDateTimeOffset(s) : null,
    };

    /// <summary>A copy of the listener owned by <paramref name="service"/>.</summary>
    public static Listener OwnedBy(this Listener listener, string service, int pid = 812, string? process = null)
    {
        var copy = listener.Clone();
        copy.Service = service;
        copy.Pid = pid;
        copy.Process = process ?? copy.Process;
        return copy;
    }

    public static Symptom SymptomOf(HostState reporter, Event e, params HostState[] fleet) =>
        Symptom.From(reporter, e)! with { Fleet = fleet };

    public static Event Failure(Cause cause, string target, DateTimeOffset? time = null, string server = "shop.example.com", int status = 502) =>
        Error(1, time ?? T0, cause, target.StartsWith("unix:", StringComparison.Ordinal)
                ? new UpstreamTarget { Scheme = "fastcgi", Address = target, UnixPath = target[5..] }
                : target.Contains(':', StringComparison.Ordinal) ? Tcp(target) : new UpstreamTarget { Scheme = "http", Address = target, IsGroup = true },
            1, status, server, $"{cause} toward {target}");

    public static readonly ImmutableArray<string> LbRoles = ["load_balancer"];
}
