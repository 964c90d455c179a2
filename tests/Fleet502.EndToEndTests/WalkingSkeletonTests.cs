using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Fleet502.EndToEndTests.Harness;
using Xunit.Abstractions;

namespace Fleet502.EndToEndTests;

/// <summary>
/// One real nginx 502 from error.log to a REST incident and a webhook: real nginx, the collector
/// and agent programs, a real webhook receiver, all on loopback.
/// </summary>
public sealed class WalkingSkeletonTests(ITestOutputHelper output)
{
    private static readonly TimeSpan IncidentDeadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Backend_down_on_a_tcp_port_opens_one_incident_and_one_webhook_and_healthy_traffic_opens_none()
    {
        using var dir = new TempDir("e2e-tcp");
        var backendPort = Ports.Free();
        using var receiver = new WebhookReceiver();
        using var nginx = await NginxServer.StartAsync(dir, $"location / {{ proxy_pass http://127.0.0.1:{backendPort}; }}");
        using var collector = await CollectorServer.StartAsync(dir, receiver.Url);
        using var agent = await AgentRunner.StartAsync(dir, collector.GrpcUrl, nginx.ErrorLog, nginxConfig: nginx.ConfigPath);
        await Diagnose(async () =>
        {
            using var http = new HttpClient();
            var firstFailure = Stopwatch.StartNew();
            for (var i = 0; i < 5; i++)
            {
                using var response = await http.GetAsync($"{nginx.BaseUrl}/api/orders/{i}");
                Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            }

            var incidents = await collector.PollAsync("/api/v1/incidents?status=open", j => j.GetArrayLength() > 0, IncidentDeadline);
            var latency = firstFailure.Elapsed;
            output.WriteLine($"first 502 -> incident on REST: {latency.TotalMilliseconds:F0} ms");
            Console.WriteLine($"[e2e] first 502 -> incident on REST (tcp): {latency.TotalMilliseconds:F0} ms");

            var incident = Assert.Single(incidents.EnumerateArray());
            Assert.Equal("backend_down", incident.GetProperty("cause").GetString());
            Assert.Equal($"127.0.0.1:{backendPort}", incident.GetProperty("target").GetString());
            Assert.Equal("open", incident.GetProperty("status").GetString());
            Assert.Contains("e2e-host", incident.GetProperty("hosts").EnumerateArray().Select(h => h.GetString()));
            Assert.Contains("Connection refused", incident.GetProperty("evidence").ToString(), StringComparison.Ordinal);
            Assert.True(incident.GetProperty("first_seen").GetDateTimeOffset() <= incident.GetProperty("last_seen").GetDateTimeOffset());

            // All five failures are counted once the coalescing window has closed.
            var id = incident.GetProperty("id").GetString();
            var detail = await collector.PollAsync($"/api/v1/incidents/{id}", j => j.GetProperty("error_count").GetInt64() >= 5, IncidentDeadline);
            Assert.Equal(5, detail.GetProperty("error_count").GetInt64());

            await WaitFor(() => !receiver.Posts.IsEmpty, TimeSpan.FromSeconds(10));
            var post = Assert.Single(receiver.Posts);
            Assert.Equal("incident_opened", post.GetProperty("event").GetString());
            Assert.Equal(id, post.GetProperty("incident").GetProperty("id").GetString());
            Assert.Equal("backend_down", post.GetProperty("incident").GetProperty("cause").GetString());

            // The backend comes back: healthy traffic must not open anything new.
            using var backend = ScriptedBackend.OnTcp(backendPort, ScriptedBackend.AnswerOk);
            for (var i = 0; i < 10; i++)
            {
                using var response = await http.GetAsync($"{nginx.BaseUrl}/api/orders/{i}");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            await Task.Delay(TimeSpan.FromSeconds(3));
            var all = await collector.GetJsonAsync("/api/v1/incidents?status=all");
            Assert.Single(all.EnumerateArray());
            Assert.Equal(5, (await collector.GetJsonAsync($"/api/v1/incidents/{id}")).GetProperty("error_count").GetInt64());
            Assert.Single(receiver.Posts);
        }, nginx, collector, agent);
    }

    [Fact]
    public async Task Missing_unix_socket_opens_a_socket_missing_incident()
    {
        using var dir = new TempDir("e2e-unix");
        var socket = dir.File("app.sock");
        using var receiver = new WebhookReceiver();
        using var nginx = await NginxServer.StartAsync(dir, $"location / {{ proxy_pass http://unix:{socket}:; }}");
        using var collector = await CollectorServer.StartAsync(dir, receiver.Url);
        using var agent = await AgentRunner.StartAsync(dir, collector.GrpcUrl, nginx.ErrorLog, nginxConfig: nginx.ConfigPath);
        await Diagnose(async () =>
        {
            using var http = new HttpClient();
            var firstFailure = Stopwatch.StartNew();
            for (var i = 0; i < 3; i++)
            {
                using var response = await http.GetAsync($"{nginx.BaseUrl}/checkout");
                Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            }

            var incidents = await collector.PollAsync("/api/v1/incidents?status=open", j => j.GetArrayLength() > 0, IncidentDeadline);
            Console.WriteLine($"[e2e] first 502 -> incident on REST (unix): {firstFailure.Elapsed.TotalMilliseconds:F0} ms");
            var incident = Assert.Single(incidents.EnumerateArray());
            Assert.Equal("socket_missing", incident.GetProperty("cause").GetString());
            Assert.Equal("unix:" + socket, incident.GetProperty("target").GetString());
            Assert.Contains("No such file or directory", incident.GetProperty("evidence").ToString(), StringComparison.Ordinal);

            await WaitFor(() => !receiver.Posts.IsEmpty, TimeSpan.FromSeconds(10));
            Assert.Equal("socket_missing", Assert.Single(receiver.Posts).GetProperty("incident").GetProperty("cause").GetString());
        }, nginx, collector, agent);
    }

    [Fact]
    public async Task With_no_log_paths_configured_the_agent_finds_nginx_error_log_through_nginx_T()
    {
        using var dir = new TempDir("e2e-zeroconf");
        var backendPort = Ports.Free();
        using var nginx = await NginxServer.StartAsync(dir, $"location / {{ proxy_pass http://127.0.0.1:{backendPort}; }}");
        using var collector = await CollectorServer.StartAsync(dir, webhookUrl: null);
        using var agent = await AgentRunner.StartAsync(dir, collector.GrpcUrl, errorLog: "", nginxConfig: nginx.ConfigPath);
        await Diagnose(async () =>
        {
            using var http = new HttpClient();
            using var response = await http.GetAsync($"{nginx.BaseUrl}/");
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);

            var incidents = await collector.PollAsync("/api/v1/incidents?status=open", j => j.GetArrayLength() > 0, IncidentDeadline);
            var incident = Assert.Single(incidents.EnumerateArray());
            Assert.Equal("backend_down", incident.GetProperty("cause").GetString());
            Assert.Contains(nginx.ErrorLog, incident.GetProperty("evidence").ToString(), StringComparison.Ordinal);
        }, nginx, collector, agent);
    }

    private static async Task WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
    }

    // On failure, show what every program printed: that is where the reason is.
    private async Task Diagnose(Func<Task> test, NginxServer nginx, CollectorServer collector, AgentRunner agent)
    {
        try
        {
            await test();
        }
        catch (Exception)
        {
            output.WriteLine(collector.Output);
            output.WriteLine(agent.Output);
            output.WriteLine("--- nginx error.log ---\n" + (File.Exists(nginx.ErrorLog) ? await File.ReadAllTextAsync(nginx.ErrorLog) : "(none)"));
            throw;
        }
    }
}
