using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fleet502.EndToEndTests.Harness;
using Xunit.Abstractions;

namespace Fleet502.EndToEndTests.FaultMatrix;

/// <summary>
/// One fault-matrix scenario's programs: a real nginx in a temp prefix, the collector (short quiet
/// period so incidents resolve within the test), the agent (only this nginx's logs and config, no
/// host-wide supervisors or kernel log) and a webhook receiver. Files the scenario needs (sockets,
/// php-fpm or supervisord configs) go into <see cref="Dir"/> before <see cref="StartAsync"/>.
/// </summary>
public sealed partial class FaultStack : IDisposable
{
    public const string AgentId = "fm-host";

    /// <summary>Generous: the machine is small and shared, and an incident needs the agent's coalescing window first.</summary>
    public static readonly TimeSpan IncidentTimeout = TimeSpan.FromSeconds(30);

    private readonly ITestOutputHelper _output;
    private readonly List<IDisposable> _owned = [];
    private ChildProcess? _nginx;
    private ChildProcess? _collector;
    private ChildProcess? _agent;

    public FaultStack(string name, ITestOutputHelper output)
    {
        _output = output;
        Dir = new TempDir("fm-" + name);
        Webhooks = new WebhookReceiver();
        Http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        Api = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", CollectorServer.ApiToken);
    }

    public TempDir Dir { get; }

    public WebhookReceiver Webhooks { get; }

    /// <summary>Client traffic through nginx.</summary>
    public HttpClient Http { get; }

    /// <summary>The collector's REST API, with the API token.</summary>
    public HttpClient Api { get; }

    public int NginxPort { get; private set; }

    public string NginxUrl => $"http://127.0.0.1:{NginxPort}";

    public string ErrorLog => Dir.File("error.log");

    public string NginxConfig => Dir.File("nginx.conf");

    /// <summary>Disposed with the stack (backends, helper processes), before the temp dir goes.</summary>
    public T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    /// <summary>
    /// Starts nginx with <paramref name="serverBody"/> in its one server block, then the collector and the agent.
    /// </summary>
    /// <param name="serverBody">Locations of the one server.</param>
    /// <param name="httpExtra">Extra http-level directives (upstream blocks).</param>
    /// <param name="workersAsRoot">
    /// False runs nginx's workers as they run on a real host started by root: as nobody (no <c>user</c> directive).
    /// </param>
    /// <param name="supervisordSocket">The supervisord socket the agent asks; null disables supervisord.</param>
    /// <param name="agentExtra">More agent settings, as JSON properties ("\"PhpFpm\": {...},").</param>
    public async Task StartAsync(string serverBody, string httpExtra = "", bool workersAsRoot = true, string? supervisordSocket = null, string agentExtra = "")
    {
        NginxPort = Ports.Free();
        _workersAsRoot = workersAsRoot;
        _httpExtra = httpExtra;
        var conf = NginxConf(serverBody);
        await File.WriteAllTextAsync(NginxConfig, conf);
        _nginx = new ChildProcess("nginx", RepoPaths.Nginx, ["-p", Dir.Path, "-c", NginxConfig, "-e", ErrorLog, "-g", "daemon off;"]);
        await WaitForPortAsync(NginxPort, _nginx);

        _collector = await StartCollectorAsync();
        _agent = await StartAgentAsync(CollectorGrpcUrl!, supervisordSocket, agentExtra);
    }

    private string? CollectorGrpcUrl { get; set; }

    private bool _workersAsRoot = true;
    private string _httpExtra = "";

    /// <summary>Rewrites the one server block's body and reloads nginx (an operator fixing the config).</summary>
    public async Task ReconfigureAsync(string serverBody, string? httpExtra = null)
    {
        _httpExtra = httpExtra ?? _httpExtra;
        await File.WriteAllTextAsync(NginxConfig, NginxConf(serverBody));
        await ReloadNginxAsync();
    }

    private string NginxConf(string serverBody)
    {
        var user = _workersAsRoot && Environment.UserName == "root" ? "user root;" : "";
        return $$"""
            {{user}}
            worker_processes 1;
            error_log {{ErrorLog}} error;
            pid {{Dir.File("nginx.pid")}};
            events { worker_connections 256; }
            http {
                access_log {{Dir.File("access.log")}} combined;
                client_body_temp_path {{Dir.File("client_body")}};
                proxy_temp_path {{Dir.File("proxy")}};
                fastcgi_temp_path {{Dir.File("fastcgi")}};
                uwsgi_temp_path {{Dir.File("uwsgi")}};
                scgi_temp_path {{Dir.File("scgi")}};
                {{_httpExtra}}
                server {
                    listen 127.0.0.1:{{NginxPort}};
                    server_name fm.local;
                    {{serverBody}}
                }
            }
            """;
    }

    /// <summary><c>nginx -s reload</c> with the same prefix and config, as an operator would.</summary>
    public async Task ReloadNginxAsync()
    {
        using var reload = new ChildProcess("nginx -s reload", RepoPaths.Nginx, ["-p", Dir.Path, "-c", NginxConfig, "-e", ErrorLog, "-s", "reload"]);
        if (!await reload.WaitForExitAsync(TimeSpan.FromSeconds(15)))
        {
            throw new TimeoutException("nginx -s reload did not finish\n" + reload.Output);
        }
    }

    /// <summary>Incidents of the collector: status open, resolved or all.</summary>
    public async Task<List<JsonElement>> IncidentsAsync(string status = "all")
    {
        using var response = await Api.GetAsync($"/api/v1/incidents?status={status}");
        response.EnsureSuccessStatusCode();
        return [.. (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()];
    }

    /// <summary>Waits for an incident with <paramref name="cause"/> (and <paramref name="target"/> when given).</summary>
    public async Task<JsonElement> WaitForIncidentAsync(string cause, string? target = null)
    {
        var deadline = DateTime.UtcNow + IncidentTimeout;
        while (true)
        {
            var incidents = await IncidentsAsync();
            var found = incidents.FirstOrDefault(i => i.GetProperty("cause").GetString() == cause
                && (target is null || i.GetProperty("target").GetString() == target));
            if (found.ValueKind == JsonValueKind.Object)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no {cause} incident{(target is null ? "" : " toward " + target)} within {IncidentTimeout}; incidents: [{string.Join(", ", incidents)}]");
            }

            await Task.Delay(200);
        }
    }

    public async Task<JsonElement> IncidentAsync(string id)
    {
        using var response = await Api.GetAsync($"/api/v1/incidents/{id}");
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Waits until the incident's status is "resolved" (quiet period 3 s, checked every 0.5 s).</summary>
    public async Task<JsonElement> WaitForResolvedAsync(string id)
    {
        var deadline = DateTime.UtcNow + IncidentTimeout;
        while (true)
        {
            var incident = await IncidentAsync(id);
            if (incident.GetProperty("status").GetString() == "resolved")
            {
                return incident;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"incident {id} did not resolve within {IncidentTimeout}: {incident}");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>Waits for a webhook post of <paramref name="eventName"/> about incident <paramref name="id"/>.</summary>
    public async Task<JsonElement> WaitForWebhookAsync(string eventName, string id)
    {
        var deadline = DateTime.UtcNow + IncidentTimeout;
        while (true)
        {
            var post = Webhooks.Posts.FirstOrDefault(p => p.GetProperty("event").GetString() == eventName
                && p.GetProperty("incident").GetProperty("id").GetString() == id);
            if (post.ValueKind == JsonValueKind.Object)
            {
                return post;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no {eventName} webhook for {id} within {IncidentTimeout}; posts: [{string.Join(", ", Webhooks.Posts)}]");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Every evidence line's text, one per line.</summary>
    public static string EvidenceText(JsonElement incident) =>
        string.Join('\n', incident.GetProperty("evidence").EnumerateArray().Select(e => e.GetProperty("text").GetString()));

    /// <summary>
    /// The usual assertions once a fault was injected: an incident with this cause and target whose
    /// evidence quotes nginx, and its incident_opened webhook. Returns the incident.
    /// </summary>
    public async Task<JsonElement> AssertIncidentAsync(string cause, string target, string nginxMessage)
    {
        var incident = await WaitForIncidentAsync(cause, target);
        Assert.Equal("open", incident.GetProperty("status").GetString());
        Assert.Contains(AgentId, incident.GetProperty("hosts").EnumerateArray().Select(h => h.GetString()));
        Assert.Contains(nginxMessage, EvidenceText(incident), StringComparison.Ordinal);
        var id = incident.GetProperty("id").GetString()!;
        var post = await WaitForWebhookAsync("incident_opened", id);
        Assert.Equal(cause, post.GetProperty("incident").GetProperty("cause").GetString());
        Assert.Equal(target, post.GetProperty("incident").GetProperty("target").GetString());
        _output.WriteLine($"{cause} -> {target}: {incident.GetProperty("summary").GetString()}");
        _output.WriteLine(EvidenceText(incident));
        return incident;
    }

    /// <summary>Resolution once the fault is gone: status resolved over REST and an incident_resolved webhook.</summary>
    public async Task AssertResolvesAsync(string id)
    {
        var resolved = await WaitForResolvedAsync(id);
        Assert.Equal("resolved", resolved.GetProperty("status").GetString());
        await WaitForWebhookAsync("incident_resolved", id);
    }

    /// <summary>
    /// Runs <c>fleet502-agent doctor</c> on the faulted setup (no collector, no agent config) and
    /// asserts it names the incident's cause for the incident's target, with exit code 1.
    /// </summary>
    public async Task<JsonElement> AssertDoctorAgreesAsync(JsonElement incident)
    {
        var cause = incident.GetProperty("cause").GetString();
        var target = incident.GetProperty("target").GetString();
        var doctor = await DoctorRunner.RunAsync($"{RepoPaths.Nginx} -p {Dir.Path} -c {NginxConfig}");
        _output.WriteLine(doctor.Stderr);
        _output.WriteLine(doctor.Stdout);
        Assert.Equal(1, doctor.ExitCode);
        var problems = doctor.Report.GetProperty("problems").EnumerateArray().ToList();
        var same = problems.FirstOrDefault(p => p.GetProperty("target").GetString() == target);
        Assert.True(same.ValueKind == JsonValueKind.Object, $"doctor found no problem toward {target}: {doctor.Stdout}");
        Assert.Equal(cause, same.GetProperty("cause").GetString());
        Assert.Equal(incident.GetProperty("tier").GetString(), same.GetProperty("tier").GetString());
        Assert.StartsWith($"{problems.Count} problem", doctor.Report.GetProperty("verdict").GetString(), StringComparison.Ordinal);
        return same;
    }

    /// <summary>Runs the scenario; on failure shows what every program printed and nginx's error.log.</summary>
    public async Task RunAsync(Func<Task> scenario)
    {
        try
        {
            await scenario();
        }
        catch (Exception)
        {
            _output.WriteLine(_collector?.Output ?? "(no collector)");
            _output.WriteLine(_agent?.Output ?? "(no agent)");
            _output.WriteLine(_nginx?.Output ?? "(no nginx)");
            _output.WriteLine("--- nginx error.log ---\n" + (File.Exists(ErrorLog) ? await File.ReadAllTextAsync(ErrorLog) : "(none)"));
            throw;
        }
    }

    /// <summary>GETs <paramref name="count"/> times in parallel; returns each status (0 when the exchange failed).</summary>
    public async Task<int[]> GetManyAsync(string path, int count, bool parallel = false)
    {
        if (parallel)
        {
            return await Task.WhenAll(Enumerable.Range(0, count).Select(_ => GetStatusAsync(path)));
        }

        var statuses = new int[count];
        for (var i = 0; i < count; i++)
        {
            statuses[i] = await GetStatusAsync(path);
        }

        return statuses;
    }

    public async Task<int> GetStatusAsync(string path)
    {
        try
        {
            // A fresh connection per request: a kept-alive one can be closed by an old worker during
            // a reload just as it is reused, which a status code would not describe.
            using var request = new HttpRequestMessage(HttpMethod.Get, NginxUrl + path) { Headers = { ConnectionClose = true } };
            using var response = await Http.SendAsync(request);
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    private async Task<ChildProcess> StartCollectorAsync()
    {
        var config = $$"""
            {
              "Listen": { "Grpc": "127.0.0.1:0", "Http": "127.0.0.1:0" },
              "Storage": { "Path": "{{Dir.File("collector.db")}}" },
              "Auth": { "AgentTokens": ["{{CollectorServer.AgentToken}}"], "ApiTokens": ["{{CollectorServer.ApiToken}}"] },
              "Correlation": { "QuietPeriod": "00:00:08", "CheckInterval": "00:00:00.500", "ReopenWindow": "00:10:00" },
              "Webhooks": [{ "Name": "fm", "Url": "{{Webhooks.Url}}", "Format": "generic" }]
            }
            """;
        var configPath = Dir.File("collector.json");
        await File.WriteAllTextAsync(configPath, config);
        var process = new ChildProcess("collector", "dotnet", [RepoPaths.CollectorDll, "--config", configPath]);
        var line = await process.WaitForLineAsync(l => ListeningLine().IsMatch(l), TimeSpan.FromSeconds(60));
        var match = ListeningLine().Match(line);
        CollectorGrpcUrl = match.Groups["grpc"].Value;
        Api.BaseAddress = new Uri(match.Groups["http"].Value);
        return process;
    }

    /// <summary>
    /// Starts a second agent, "edge-probe", whose only job is to probe <paramref name="url"/> through
    /// the CDN every second (and sample this host's listeners, so the origin's state is known).
    /// </summary>
    public async Task StartProbeAgentAsync(string url, string origin)
    {
        var state = Dir.File("probe-state");
        Directory.CreateDirectory(state);
        var config = $$"""
            {
              "AgentId": "edge-probe",
              "Hostname": "edge-probe",
              "StateDirectory": "{{state}}",
              "Collector": { "Url": "{{CollectorGrpcUrl}}", "Token": "{{CollectorServer.AgentToken}}", "MaxReconnectDelay": "00:00:01" },
              "Nginx": { "ErrorLogs": [], "AccessLogs": [], "ReadConfig": false },
              "Listeners": { "SampleInterval": "00:00:00.500" },
              "Supervisors": { "Supervisord": { "Enabled": false }, "Systemd": { "Enabled": false }, "Docker": { "Enabled": false }, "Pm2": { "Enabled": false } },
              "PhpFpm": { "FollowErrorLog": false },
              "Kernel": { "Enabled": false },
              "Probes": { "Interval": "00:00:01", "Targets": [ { "Url": "{{url}}", "Origin": "{{origin}}" } ] }
            }
            """;
        var configPath = Dir.File("probe-agent.json");
        await File.WriteAllTextAsync(configPath, config);
        var process = Own(new ChildProcess("probe-agent", "dotnet", [RepoPaths.AgentDll, "--config", configPath]));
        await process.WaitForLineAsync(l => l.Contains("Connected to the collector", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
    }

    private async Task<ChildProcess> StartAgentAsync(string grpcUrl, string? supervisordSocket, string agentExtra)
    {
        var state = Dir.File("agent-state");
        Directory.CreateDirectory(state);
        var supervisord = supervisordSocket is null
            ? "\"Enabled\": false"
            : $"\"Enabled\": true, \"SocketPath\": \"{supervisordSocket}\"";
        var config = $$"""
            {
              "AgentId": "{{AgentId}}",
              "Hostname": "{{AgentId}}",
              "Roles": ["load_balancer", "app"],
              "StateDirectory": "{{state}}",
              "Collector": { "Url": "{{grpcUrl}}", "Token": "{{CollectorServer.AgentToken}}", "MaxReconnectDelay": "00:00:01" },
              "Nginx": {
                "ErrorLogs": ["{{ErrorLog}}"], "AccessLogs": ["{{Dir.File("access.log")}}"],
                "ReadConfig": true, "NginxBinary": "{{RepoPaths.Nginx}}", "NginxArguments": ["-p", "{{Dir.Path}}", "-c", "{{NginxConfig}}"],
                "CoalesceWindow": "00:00:01", "PollInterval": "00:00:00.050", "ConfigRefreshInterval": "00:00:01"
              },
              "Listeners": { "SampleInterval": "00:00:00.500" },
              "Supervisors": {
                "SampleInterval": "00:00:00.500",
                "Supervisord": { {{supervisord}} },
                "Systemd": { "Enabled": false }, "Docker": { "Enabled": false }, "Pm2": { "Enabled": false }
              },
              {{agentExtra}}
              "Kernel": { "Enabled": false }
            }
            """;
        var configPath = Dir.File("agent.json");
        await File.WriteAllTextAsync(configPath, config);
        var process = new ChildProcess("agent", "dotnet", [RepoPaths.AgentDll, "--config", configPath]);
        await process.WaitForLineAsync(l => l.Contains("Connected to the collector", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        return process;
    }

    /// <summary>Waits until something accepts connections on a loopback port.</summary>
    public static async Task WaitForPortAsync(int port, ChildProcess? process = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (DateTime.UtcNow < deadline && process?.HasExited != true)
        {
            try
            {
                using var socket = new System.Net.Sockets.TcpClient();
                await socket.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"nothing listens on port {port}\n{process?.Output}"));
    }

    [GeneratedRegex(@"Fleet502 collector listening grpc=(?<grpc>\S+) http=(?<http>\S+)")]
    private static partial Regex ListeningLine();

    public void Dispose()
    {
        _agent?.Dispose();
        _collector?.Dispose();
        _nginx?.Dispose();
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        Http.Dispose();
        Api.Dispose();
        Webhooks.Dispose();
        Dir.Dispose();
    }
}
