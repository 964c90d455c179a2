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

    private static async Task DriveAsync(FaultStack stack)
    {
        Assert.All(await stack.GetManyAsync("/api/orders", 10), s => Assert.Equal(200, s));
        Assert.All(await stack.GetManyAsync("/missing/thing", 5), s => Assert.Equal(404, s));
        Assert.All(await stack.GetManyAsync("/static/app.css", 3), s => Assert.Equal(200, s));
        // nginx's own 404: error.log gets "open() ... failed (2: No such file or directory)" at error level.
        Assert.All(await stack.GetManyAsync("/static/nope.css", 5), s => Assert.Equal(404, s));
    }
}
