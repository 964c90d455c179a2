using Fleet502.EndToEndTests.Harness;
using Xunit.Abstractions;

namespace Fleet502.EndToEndTests.FaultMatrix;

/// <summary>
/// Scenario 11: proxy_pass names port A while the backend (real php under real supervisord, program
/// "invoices") listens on port B. The proxy's config is wrong, not the app: port_mismatch, tier
/// load_balancer, with the fix naming port B; fixing proxy_pass and reloading nginx resolves it.
/// </summary>
public sealed class PortMismatchTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Proxy_pass_to_the_wrong_port_opens_port_mismatch_naming_the_right_port_and_resolves_after_the_config_is_fixed()
    {
        var wrong = Ports.Free();
        var right = Ports.Free();
        using var stack = new FaultStack("portmismatch", output);
        var backend = stack.Own(await SupervisedPhpServer.StartAsync(stack.Dir.Path, "invoices", right));
        await stack.StartAsync($"location /invoices/ {{ proxy_pass http://127.0.0.1:{wrong}/; }}", supervisordSocket: backend.Socket);
        await stack.RunAsync(async () =>
        {
            Assert.All(await stack.GetManyAsync("/invoices/", 3), s => Assert.Equal(502, s));
            var incident = await stack.AssertIncidentAsync("port_mismatch", $"127.0.0.1:{wrong}", "Connection refused");
            Assert.Equal("load_balancer", incident.GetProperty("tier").GetString());
            Assert.Contains($"proxy_pass http://127.0.0.1:{right}", incident.GetProperty("fix").GetString(), StringComparison.Ordinal);
            Assert.Contains($"{stack.NginxConfig}:", incident.GetProperty("fix").GetString(), StringComparison.Ordinal);
            Assert.Contains($"listens on 127.0.0.1:{right}", FaultStack.EvidenceText(incident), StringComparison.Ordinal);

            var diagnosed = await stack.AssertDoctorAgreesAsync(incident);
            Assert.Contains($"proxy_pass http://127.0.0.1:{right}", diagnosed.GetProperty("fix").GetString(), StringComparison.Ordinal);

            // Never blamed on the healthy app.
            Assert.DoesNotContain(await stack.IncidentsAsync(), i => i.GetProperty("tier").GetString() == "app");

            await stack.ReconfigureAsync($"location /invoices/ {{ proxy_pass http://127.0.0.1:{right}/; }}");
            await Task.Delay(500); // the old workers finish; new ones take the fixed route
            Assert.All(await stack.GetManyAsync("/invoices/", 3), s => Assert.Equal(200, s));
            var id = incident.GetProperty("id").GetString()!;
            await stack.AssertResolvesAsync(id);
            Assert.Contains($"nginx no longer proxies to 127.0.0.1:{wrong}", FaultStack.EvidenceText(await stack.IncidentAsync(id)), StringComparison.Ordinal);
        });
    }
}
