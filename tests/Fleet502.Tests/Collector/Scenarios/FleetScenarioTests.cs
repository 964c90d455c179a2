using System.Text.Json;
using Fleet502.Protos.V1;
using Fleet502.Tests.Collector.Infrastructure;
using Fleet502.Tests.Diagnosis.Rules;
using Google.Protobuf.WellKnownTypes;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;

namespace Fleet502.Tests.Collector.Scenarios;

/// <summary>
/// The scenarios, end to end inside the collector: scripted load balancers and app hosts
/// send over real gRPC on loopback, the real collector (LiteDB file, correlator, sweeper, REST API)
/// runs on a fake clock, and each test reads the incidents a user would read.
/// </summary>
public sealed class FleetScenarioTests
{
    private const string App = "10.0.0.5:3000";

    [Fact]
    public async Task BackendOomKilled_TwoLoadBalancers_OneIncidentNamingTheKillBothLbsAndServers()
    {
        await using var fleet = await ScriptedFleet.StartAsync();
        var app = await fleet.ConnectAsync("app-1", "app", "10.0.0.5");
        var lb1 = await fleet.ConnectAsync("lb-1", "load_balancer", "192.0.2.1");
        var lb2 = await fleet.ConnectAsync("lb-2", "load_balancer", "192.0.2.2");
        var t = fleet.Now;
        await app.SendAsync(Listeners(0, t, TcpListener("0.0.0.0", 3000).OwnedBy("myapp.service")), Service(HostBuilder.Systemd("myapp.service", ServiceStatus.Running, t, pid: 812)));
        fleet.Time.Advance(TimeSpan.FromSeconds(2));
        t = fleet.Now;
        await app.SendAsync(
            Oom(t, new OomKill { Pid = 812, Process = "node", SystemdUnit = "myapp.service", AnonRssKb = 1_048_576, Raw = "Out of memory: Killed process 812 (node)" }),
            Service(HostBuilder.Systemd("myapp.service", ServiceStatus.Failed, t, result: "oom-kill")),
            Listeners(0, t));

        await lb1.SendAsync(Refused(0, t.AddSeconds(1), App, count: 700, server: "shop.example.com"));
        await lb2.SendAsync(Refused(0, t.AddSeconds(1), App, count: 504, server: "api.example.com"));

        var incident = Assert.Single(await fleet.IncidentsAsync());
        Assert.Equal("backend_down", incident.GetProperty("cause").GetString());
        Assert.Equal(["lb-1", "lb-2"], Strings(incident, "hosts"));
        Assert.Equal(["api.example.com", "shop.example.com"], Strings(incident, "servers"));
        Assert.Equal(1204, incident.GetProperty("error_count").GetInt64());
        Assert.StartsWith("backend down: myapp.service on app-1 was OOM-killed at 12:03:03 with 1024 MiB anon-rss; nothing listens on 10.0.0.5:3000 since; 1204 × 502",
            incident.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal(["load_balancer", "app"], Strings(incident, "tier_chain"));
        Assert.Equal("critical", incident.GetProperty("severity").GetString()); // 1,204 failures in a second
        Assert.Contains("Out of memory: Killed process 812 (node)", Evidence(incident), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SocketMissing_OnTheReportingHost()
    {
        await using var fleet = await ScriptedFleet.StartAsync();
        var web = await fleet.ConnectAsync("web-1", "load_balancer");
        await web.SendAsync(Listeners(0, fleet.Now, UnixListener("/run/php/other.sock")), SocketMissing(0, fleet.Now, "/run/php/php8.2-fpm.sock"));

        var incident = Assert.Single(await fleet.IncidentsAsync());
        Assert.Equal("socket_missing", incident.GetProperty("cause").GetString());
        Assert.Equal("unix:/run/php/php8.2-fpm.sock", incident.GetProperty("target").GetString());
    }

    [Fact]
    public async Task SocketPermission_NamesModeAndUser()
    {
        await using var fleet = await ScriptedFleet.StartAsync();
        var web = await fleet.ConnectAsync("web-1", "load_balancer");
        var snapshot = Listeners(0, fleet.Now, UnixListener("/run/app.sock"));
        snapshot.ListenerSnapshot.UnixPaths.Add(new UnixSocketPath
        {
            Path = "/run/app.sock", Exists = true, IsSocket = true, HasListener = true, Owner = "root", Group = "root", Mode = 0x180,
            ClientUser = "www-data", ClientCanConnect = false, Problem = "socket mode 0600 gives www-data no write permission",
        });
        await web.SendAsync(snapshot, Failure(Cause.SocketPermission, "unix:/run/app.sock", fleet.Now));

        var incident = Assert.Single(await fleet.IncidentsAsync());
        Assert.Equal("socket_permission", incident.GetProperty("cause").GetString());
        Assert.Contains("www-data may not connect to /run/app.sock on web-1 (0600 root:root)", incident.GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FpmPoolExhausted_WithThePoolsChildren()
    {
        await using var fleet = await ScriptedFleet.StartAsync();
        var web = await fleet.ConnectAsync("web-1", "load_balancer");
        await web.SendAsync(
            new Event { FpmPool = new FpmPool { Endpoint = "unix:/run/php/fpm.sock", Pool = "www", ProcessManager = "static", ActiveProcesses = 4, TotalProcesses = 4, MaxActiveProcesses = 4, ListenQueue = 9, Saturated = true, Reachable = true } },
            Failure(Cause.BacklogFull, "unix:/run/php/fpm.sock", fleet.Now));

        var incident = Assert.Single(await fleet.IncidentsAsync());
        Assert.Equal("fpm_pool_exhausted", incident.GetProperty("cause").GetString());
        Assert.Contains("pool [www] on web-1 has all 4 children busy", incident.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains("pm.max_children = 8", incident.GetProperty("fix").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamCrash_RestartOfTheOwningServiceWithinTheWindow()
    {
        await using var fleet = await ScriptedFleet.StartAsync();
        var app = await fleet.ConnectAsync("app-1", "app", "10.0.0.5");
        var lb = await fleet.ConnectAsync("lb-1", "load_balancer", "192.0.2.1");
        await app.SendAsync(
            Listeners(0, fleet.Now, TcpListener("0.0.0.0", 3000).OwnedBy("myapp.service", pid: 901)),
            Service(HostBuilder.Systemd("myapp.service", ServiceStatus.Running, fleet.Now, restarts: 3, pid: 901)));
        await lb.SendAsync(Failure(Cause.UpstreamCrash, App, fleet.Now.AddSeconds(-1)));

        var incident = Assert.Single(await fleet.IncidentsAsync());
        Assert.Equal("upstream_crash", incident.GetProperty("cause").GetString());
        Assert.Contains("myapp.service on app-1 restarted at 12:03:01, mid-response", incident.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal(0.9, incident.GetProperty("confidence").GetDouble());
    }

    [Fact]
    public async Task InvalidHeader_ProxyPassToPhpFpm_BlamesTheLoadBalancer()
    {
        await using var fleet = await ScriptedFleet.StartAsync();
        var web = await fleet.ConnectAsync("web-1", "load_balancer");
        await web.SendAsync(
            Listeners(0, fleet.Now, TcpListener("127.0.0.1", 9000, "php-fpm8.2")),
            Config(ConfigFixtures.Route("proxy", "http://127.0.0.1:9000")),
            Failure(Cause.InvalidHeader, "127.0.0.1:9000", fleet.Now));

        var incident = Assert.Single(await fleet.IncidentsAsync());
        Assert.Equal("invalid_header", incident.GetProperty("cause").GetString());
        Assert.Equal("load_balancer", incident.GetProperty("tier").GetString());
        Assert.Contains("fastcgi_pass 127.0.0.1:9000", incident.GetProperty("fix").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HeaderTooBig_IsTheLoadBalancersBuffers_NeverTheHealthyApp()
    {
        await using var fleet = await ScriptedFleet.StartAsync();
        var app = await fleet.ConnectAsync("app-1", "app", "10.0.0.5");
        var lb = await fleet.ConnectAsync("lb-1", "load_balancer", "192.0.2.1");
        await app.SendAsync(Listeners(0, fleet.Now, TcpListener("0.0.0.0", 3000)));
        await lb.SendAsync(
            Config(ConfigFixtures.Route("proxy", "http://10.0.0.5:3000", buffers: new Dictionary<string, string> { ["proxy_buffer_size"] = "16k" })),
            Failure(Cause.HeaderTooBig, App, fleet.Now));

        var incident = Assert.Single(await fleet.IncidentsAsync());
        Assert.Equal("header_too_big", incident.GetProperty("cause").GetString());
        Assert.Equal("load_balancer", incident.GetProperty("tier").GetString());
        Assert.Equal(["load_balancer"], Strings(incident, "tier_chain"));
        Assert.Contains("proxy_buffer_size 32k", incident.GetProperty("fix").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamTimeout_WithTheTargetsLatency_AndSeverityFromTheAccessLog()
    {
        await using var fleet = await ScriptedFleet.StartAsync();
        var lb = await fleet.ConnectAsync("lb-1", "load_balancer", "192.0.2.1");
        var start = fleet.Now.AddSeconds(-10);
        var slow = Window("shop.example.com", App, start, requests: 100, (200, 70), (504, 30));
        slow.UpstreamResponseTime = new LatencyQuantiles { Count = 100, P50Ms = 800, P99Ms = 60000, MaxMs = 60002 };
        await lb.SendAsync(
            new Event { AccessWindow = slow },
            new Event { AccessWindow = Window("static.example.com", "", start, requests: 900, (200, 900)) },
            Failure(Cause.UpstreamTimeout, App, fleet.Now, status: 504));

        var incident = Assert.Single(await fleet.IncidentsAsync());
        Assert.Equal("upstream_timeout", incident.GetProperty("cause").GetString());
        Assert.Contains("(p99 60s, max 60.002s)", incident.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal(3.0, incident.GetProperty("failed_per_second").GetDouble()); // 30 × 504 in 10 s
        Assert.Equal(0.03, incident.GetProperty("failure_share").GetDouble()); // of 1,000 requests
        Assert.Equal("minor", incident.GetProperty("severity").GetString());
    }

    [Fact]
    public async Task Impact_SumsEachLoadBalancersNewestPeriod_AndANewerPeriodReplacesTheOlder()
    {
        await using var fleet = await ScriptedFleet.StartAsync();
        var lb1 = await fleet.ConnectAsync("lb-1", "load_balancer", "192.0.2.1");
        var lb2 = await fleet.ConnectAsync("lb-2", "load_balancer", "192.0.2.2");
        var start = fleet.Now.AddSeconds(-10);
        await lb1.SendAsync(
            new Event { AccessWindow = Window("shop.example.com", App, start, requests: 100, (200, 70), (504, 30)) },
            new Event { AccessWindow = Window("static.example.com", "10.0.0.9:80", start, requests: 900, (200, 900)) },
            Failure(Cause.UpstreamTimeout, App, fleet.Now, status: 504));
        await lb2.SendAsync(
            new Event { AccessWindow = Window("shop.example.com", App, start, requests: 1000, (200, 980), (502, 10), (504, 10)) },
            Failure(Cause.UpstreamTimeout, App, fleet.Now, status: 504));

        var incident = Assert.Single(await fleet.IncidentsAsync());
        Assert.Equal(5.0, incident.GetProperty("failed_per_second").GetDouble()); // (30 + 20) failed in 10 s
        Assert.Equal(0.025, incident.GetProperty("failure_share").GetDouble(), 9); // of 1,000 + 1,000 requests
        Assert.Equal("major", incident.GetProperty("severity").GetString());

        // lb-1's next period: 300 of its 1,000 requests fail. Its older figures go, lb-2's stay.
        fleet.Time.Advance(TimeSpan.FromSeconds(10));
        await lb1.SendAsync(
            new Event { AccessWindow = Window("shop.example.com", App, start.AddSeconds(10), requests: 1000, (200, 700), (504, 300)) },
            Failure(Cause.UpstreamTimeout, App, fleet.Now, status: 504));

        incident = Assert.Single(await fleet.IncidentsAsync());
        Assert.Equal(32.0, incident.GetProperty("failed_per_second").GetDouble()); // 30/s + 2/s
        Assert.Equal(0.16, incident.GetProperty("failure_share").GetDouble(), 9); // (300 + 20) of (1,000 + 1,000)
        Assert.Equal("major", incident.GetProperty("severity").GetString());
    }

    [Fact]
    public async Task NoLiveUpstreams_SaysWhichServersAreDown()
    {
        await using var fleet = await ScriptedFleet.StartAsync();
        var app1 = await fleet.ConnectAsync("app-1", "app", "10.0.0.5");
        var app2 = await fleet.ConnectAsync("app-2", "app", "10.0.0.6");
        var lb = await fleet.ConnectAsync("lb-1", "load_balancer", "192.0.2.1");
        await app1.SendAsync(Listeners(0, fleet.Now));
        await app2.SendAsync(Listeners(0, fleet.Now, TcpListener("0.0.0.0", 22, "sshd")));
        await lb.SendAsync(
            Config(ConfigFixtures.Route("proxy", "http://orders", upstream: "orders").WithGroup("orders", "10.0.0.5:3000", "10.0.0.6:3000")),
            Failure(Cause.NoLiveUpstreams, "orders", fleet.Now));

        var incident = Assert.Single(await fleet.IncidentsAsync());
        Assert.Equal("no_live_upstreams", incident.GetProperty("cause").GetString());
        Assert.Contains("all 2 servers of orders are down", incident.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains("app-2: nothing listens on 10.0.0.6:3000", Evidence(incident), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostDown_AgentSilentPastTheThreshold_WithConnectTimeouts_AndShownOffline()
    {
        await using var fleet = await ScriptedFleet.StartAsync();
        var app = await fleet.ConnectAsync("app-1", "app", "10.0.0.5");
        var lb = await fleet.ConnectAsync("lb-1", "load_balancer", "192.0.2.1");
        await app.SendAsync(Heartbeat(0, fleet.Now));
        Assert.True(Agent(await fleet.Collector.GetJsonAsync("/api/v1/agents"), "app-1").GetProperty("online").GetBoolean());

        await app.DisconnectAsync(); // the host dies
        fleet.Time.Advance(TimeSpan.FromSeconds(45));
        await lb.SendAsync(Heartbeat(0, fleet.Now), Failure(Cause.ConnectTimeout, App, fleet.Now));

        var incident = Assert.Single(await fleet.IncidentsAsync());
        Assert.Equal("host_down", incident.GetProperty("cause").GetString());
        Assert.Equal("host", incident.GetProperty("tier").GetString());
        Assert.Contains("host down: app-1 (10.0.0.5) does not answer and its agent has been silent since 12:03:01", incident.GetProperty("summary").GetString(), StringComparison.Ordinal);
        var agents = await fleet.Collector.GetJsonAsync("/api/v1/agents");
        Assert.False(Agent(agents, "app-1").GetProperty("online").GetBoolean());
        Assert.Equal("2026-03-01T12:03:01Z", Agent(agents, "app-1").GetProperty("last_heard").GetString());
        Assert.True(Agent(agents, "lb-1").GetProperty("online").GetBoolean());
    }

    [Fact]
    public async Task Unknown_StillAnIncident_HonestAboutIt()
    {
        await using var fleet = await ScriptedFleet.StartAsync();
        var web = await fleet.ConnectAsync("web-1", "load_balancer");
        await web.SendAsync(Listeners(0, fleet.Now, TcpListener("127.0.0.1", 3000)), Failure(Cause.Unknown, "127.0.0.1:3000", fleet.Now));

        var incident = Assert.Single(await fleet.IncidentsAsync());
        Assert.Equal("unknown", incident.GetProperty("cause").GetString());
        Assert.Equal(0.3, incident.GetProperty("confidence").GetDouble());
        Assert.Contains("no rule explains", incident.GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flap_TwiceWithinTheReopenWindow_OneIncidentWithFlapCountTwo()
    {
        await using var fleet = await ScriptedFleet.StartAsync();
        var web = await fleet.ConnectAsync("web-1", "load_balancer");
        string? id = null;
        for (var round = 0; round < 3; round++)
        {
            await web.SendAsync(Listeners(0, fleet.Now), Refused(0, fleet.Now, "127.0.0.1:3000"));
            var incident = Assert.Single(await fleet.IncidentsAsync());
            Assert.Equal("open", incident.GetProperty("status").GetString());
            id ??= incident.GetProperty("id").GetString();
            Assert.Equal(id, incident.GetProperty("id").GetString());
            Assert.Equal(round, incident.GetProperty("flap_count").GetInt32());

            fleet.Time.Advance(TimeSpan.FromSeconds(10));
            await web.SendAsync(Listeners(0, fleet.Now, TcpListener("127.0.0.1", 3000)));
            await fleet.AdvanceUntilResolvedAsync(id!, TimeSpan.FromMinutes(2));
        }
    }

    [Fact]
    public async Task HealthyFleet_WithRestartsReloadsAndHeartbeats_OpensNothing()
    {
        await using var fleet = await ScriptedFleet.StartAsync();
        var app = await fleet.ConnectAsync("app-1", "app", "10.0.0.5");
        var lb = await fleet.ConnectAsync("lb-1", "load_balancer", "192.0.2.1");
        for (var i = 0; i < 6; i++)
        {
            var pid = 900 + i; // a restart every round: new pid, one more restart, the port back at once
            await app.SendAsync(
                Listeners(0, fleet.Now, TcpListener("0.0.0.0", 3000).OwnedBy("myapp.service", pid)),
                Service(HostBuilder.Systemd("myapp.service", ServiceStatus.Running, fleet.Now, restarts: (uint)i, pid: pid)),
                Heartbeat(0, fleet.Now));
            var config = ConfigFixtures.Route("proxy", "http://10.0.0.5:3000");
            config.ConfigHash = $"reload-{i}"; // nginx -s reload
            await lb.SendAsync(
                Config(config),
                new Event { AccessWindow = Window("shop.example.com", App, fleet.Now.AddSeconds(-10), 500, (200, 490), (404, 10)) },
                Heartbeat(0, fleet.Now));
            fleet.Time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.Empty(await fleet.IncidentsAsync());
        var agents = (await fleet.Collector.GetJsonAsync("/api/v1/agents")).EnumerateArray().ToList();
        Assert.All(agents, a => Assert.True(a.GetProperty("online").GetBoolean()));
    }

    [Fact]
    public async Task CollectorRestart_MidIncident_TheSameIncidentContinues_WithHostStateRebuilt()
    {
        await using var fleet = await ScriptedFleet.StartAsync();
        var app = await fleet.ConnectAsync("app-1", "app", "10.0.0.5");
        var lb = await fleet.ConnectAsync("lb-1", "load_balancer", "192.0.2.1");
        await app.SendAsync(Listeners(0, fleet.Now, TcpListener("0.0.0.0", 3000).OwnedBy("myapp.service")));
        fleet.Time.Advance(TimeSpan.FromSeconds(2));
        await app.SendAsync(Listeners(0, fleet.Now), Service(HostBuilder.Systemd("myapp.service", ServiceStatus.Restarting, fleet.Now, restarts: 5, exitCode: 1)));
        await lb.SendAsync(Refused(0, fleet.Now, App, count: 10));
        var before = Assert.Single(await fleet.IncidentsAsync());

        await fleet.RestartCollectorAsync();
        fleet.Time.Advance(TimeSpan.FromSeconds(5));
        await lb.SendAsync(Refused(0, fleet.Now, App, count: 5));

        var after = Assert.Single(await fleet.IncidentsAsync());
        Assert.Equal(before.GetProperty("id").GetString(), after.GetProperty("id").GetString());
        Assert.Equal("open", after.GetProperty("status").GetString());
        Assert.Equal(15, after.GetProperty("error_count").GetInt64());
        // The service and the listener history came back from the stored events, not from the agent.
        Assert.Contains("myapp.service on app-1 is in a crash loop (5 restarts", after.GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    private static Event Service(ServiceState state) => new() { ServiceState = state };

    private static Event Oom(DateTimeOffset time, OomKill kill) => new() { Time = Timestamp.FromDateTimeOffset(time), OomKill = kill };

    private static Event Config(ProxyConfig config) => new() { ProxyConfig = config };

    private static Event Failure(Cause cause, string target, DateTimeOffset time, int status = 502) => HostBuilder.Failure(cause, target, time, status: status);

    private static AccessWindow Window(string server, string upstream, DateTimeOffset start, ulong requests, params (uint Status, ulong Count)[] statuses)
    {
        var window = new AccessWindow { Server = server, Upstream = upstream, Start = Timestamp.FromDateTimeOffset(start), Seconds = 10, Requests = requests, Attempts = requests };
        foreach (var (status, count) in statuses)
        {
            window.Statuses[status] = count;
        }

        return window;
    }

    private static string[] Strings(JsonElement incident, string property) =>
        [.. incident.GetProperty(property).EnumerateArray().Select(e => e.GetString()!)];

    private static string Evidence(JsonElement incident) =>
        string.Join('\n', incident.GetProperty("evidence").EnumerateArray().Select(e => e.GetProperty("text").GetString()));

    private static JsonElement Agent(JsonElement agents, string id) =>
        agents.EnumerateArray().Single(a => a.GetProperty("id").GetString() == id);
}
