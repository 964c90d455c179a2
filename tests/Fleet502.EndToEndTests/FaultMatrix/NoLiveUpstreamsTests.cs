using Fleet502.EndToEndTests.Harness;
using Xunit.Abstractions;

namespace Fleet502.EndToEndTests.FaultMatrix;

/// <summary>Scenario 10: an upstream group whose every server is down.</summary>
public sealed class NoLiveUpstreamsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Group_with_every_server_down_opens_no_live_upstreams_and_resolves_once_its_servers_are_back()
    {
        var first = Ports.Free();
        var second = Ports.Free();
        using var stack = new FaultStack("nolive", output);
        await stack.StartAsync(
            "location / { proxy_pass http://orders_pool; }",
            $$"""
            upstream orders_pool {
                server 127.0.0.1:{{first}} max_fails=1 fail_timeout=2s;
                server 127.0.0.1:{{second}} max_fails=1 fail_timeout=2s;
            }
            """);
        await stack.RunAsync(async () =>
        {
            // The first request fails on both servers (refused) and marks them failed; the next ones
            // find no live server at all.
            Assert.All(await stack.GetManyAsync("/orders", 6), s => Assert.Equal(502, s));
            var incident = await stack.AssertIncidentAsync("no_live_upstreams", "orders_pool", "no live upstreams");
            await stack.AssertDoctorAgreesAsync(incident); // doctor, run as a new user would, names the same cause
            Assert.Equal("load_balancer", incident.GetProperty("tier").GetString());

            // The refusals that marked the servers failed are their own incidents.
            await stack.WaitForIncidentAsync("backend_down", $"127.0.0.1:{first}");
            await stack.WaitForIncidentAsync("backend_down", $"127.0.0.1:{second}");

            stack.Own(ScriptedBackend.OnTcp(first, ScriptedBackend.AnswerOk));
            stack.Own(ScriptedBackend.OnTcp(second, ScriptedBackend.AnswerOk));
            await Task.Delay(TimeSpan.FromSeconds(2.5)); // fail_timeout: nginx tries the servers again
            Assert.All(await stack.GetManyAsync("/orders", 4), s => Assert.Equal(200, s));
            await stack.AssertResolvesAsync(incident.GetProperty("id").GetString()!);
        });
    }
}
