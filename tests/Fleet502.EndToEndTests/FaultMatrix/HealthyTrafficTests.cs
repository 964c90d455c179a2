using System.Text;
using Fleet502.EndToEndTests.Harness;
using Xunit.Abstractions;

namespace Fleet502.EndToEndTests.FaultMatrix;

/// <summary>The negative: healthy traffic, 4xx from the backend and from nginx, and a reload open nothing.</summary>
public sealed class HealthyTrafficTests(ITestOutputHelper output)
{
    private static readonly byte[] NotFound = Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found");

    [Fact]
    public async Task Healthy_traffic_with_404s_and_an_nginx_reload_opens_no_incident()
    {
        var port = Ports.Free();
        using var stack = new FaultStack("healthy", output);
        var www = stack.Dir.File("www");
        Directory.CreateDirectory(Path.Combine(www, "static"));
        await File.WriteAllTextAsync(Path.Combine(www, "static", "app.css"), "body{}");
        stack.Own(ScriptedBackend.OnTcp(port, ScriptedBackend.AnswerOk));
        var missingPort = Ports.Free();
        stack.Own(ScriptedBackend.OnTcp(missingPort, ScriptedBackend.Answer(NotFound)));
        await stack.StartAsync($$"""
            location / { proxy_pass http://127.0.0.1:{{port}}; }
            location /missing/ { proxy_pass http://127.0.0.1:{{missingPort}}; }
            location /static/ { root {{www}}; }
            """);
        await stack.RunAsync(async () =>
        {
            await DriveAsync(stack);
            await stack.ReloadNginxAsync();
            await Task.Delay(TimeSpan.FromSeconds(1));
            await DriveAsync(stack);

            // Past the agent's coalescing window and a collector check: anything to open is open by now.
            await Task.Delay(TimeSpan.FromSeconds(4));
            Assert.Empty(await stack.IncidentsAsync());
            Assert.Empty(stack.Webhooks.Posts);
        });
    }

    /// <summary>
    /// The soak, compressed: ~30 s of steady traffic (200s and 404s) through an upstream of two php
    /// servers under real supervisord while each server in turn is drained (nginx -s reload with it
    /// marked down), restarted with supervisorctl, and put back (another reload): a rolling deploy
    /// done right. Not one request may fail, and the collector must open nothing.
    /// </summary>
    [Fact]
    public async Task Soak_with_rolling_supervisord_restarts_nginx_reloads_and_404s_opens_no_incident()
    {
        var ports = new[] { Ports.Free(), Ports.Free() };
        using var stack = new FaultStack("soak", output);
        var backends = stack.Own(await SupervisedPhpServer.StartAsync(stack.Dir.Path, [("shop_a", ports[0]), ("shop_b", ports[1])]));
        var missingPort = Ports.Free();
        stack.Own(ScriptedBackend.OnTcp(missingPort, ScriptedBackend.Answer(NotFound)));
        string Upstream(int? drained) => $$"""
            upstream shop {
                server 127.0.0.1:{{ports[0]}}{{(drained == 0 ? " down" : "")}};
                server 127.0.0.1:{{ports[1]}}{{(drained == 1 ? " down" : "")}};
            }
            """;
        const string Body = "location / { proxy_pass http://shop; }";
        var locations = $"{Body}\n location /missing/ {{ proxy_pass http://127.0.0.1:{missingPort}; }}";
        await stack.StartAsync(locations, httpExtra: Upstream(null), supervisordSocket: backends.Socket);
        await stack.RunAsync(async () =>
        {
            using var stop = new CancellationTokenSource();
            var statuses = new System.Collections.Concurrent.ConcurrentBag<int>();
            var traffic = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    statuses.Add(await stack.GetStatusAsync("/api/orders"));
                    statuses.Add(await stack.GetStatusAsync("/missing/thing"));
                    await Task.Delay(20);
                }
            });

            for (var round = 0; round < 2; round++)
            {
                for (var i = 0; i < 2; i++)
                {
                    await stack.ReconfigureAsync(locations, Upstream(i));
                    await Task.Delay(1000); // old workers finish their requests to the drained server
                    output.WriteLine(await backends.CtlAsync("restart", i == 0 ? "shop_a" : "shop_b"));
                    await SupervisedPhpServer.WaitForPortAsync(ports[i]);
                    await stack.ReconfigureAsync(locations, Upstream(null));
                    await Task.Delay(1000);
                }
            }

            await stop.CancelAsync();
            await traffic;
            output.WriteLine($"{statuses.Count} requests: " + string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Key} x{g.Count()}")));
            Assert.All(statuses, s => Assert.Contains(s, new[] { 200, 404 }));
            Assert.Contains(404, statuses);

            // Past the agent's coalescing window and a collector check: anything to open is open by now.
            await Task.Delay(TimeSpan.FromSeconds(4));
            Assert.Empty(await stack.IncidentsAsync());
            Assert.Empty(stack.Webhooks.Posts);
        });
    }

    private static async Task DriveAsync(FaultStack stack)
    {
        Assert.All(await stack.GetManyAsync("/api/orders", 10), s => Assert.Equal(200, s));
        Assert.All(await stack.GetManyAsync("/missing/thing", 5), s => Assert.Equal(404, s));
        Assert.All(await stack.GetManyAsync("/static/app.css", 3), s => Assert.Equal(200, s));
        // nginx's own 404: error.log gets "open() ... failed (2: No such file or directory)" at error level.
        Assert.All(await stack.GetManyAsync("/static/nope.css", 5), s => Assert.Equal(404, s));
    }
}
