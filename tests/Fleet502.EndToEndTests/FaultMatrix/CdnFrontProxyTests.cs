using System.Net;
using Fleet502.EndToEndTests.Harness;
using Xunit.Abstractions;

namespace Fleet502.EndToEndTests.FaultMatrix;

/// <summary>
/// Scenario 12: a Cloudflare-like edge (real nginx, Cloudflare's 521 page and headers) whose origin
/// record points at an address where the origin does not listen (127.0.0.2 instead of 127.0.0.1),
/// while the origin nginx and its backend are healthy. The origin's agent sees no failure, so the
/// collector opens nothing against the app; doctor --url on the origin names the CDN tier, and so
/// does the collector once an agent probes the URL through the CDN (Probes:Targets). Repointing the
/// edge resolves it.
/// </summary>
public sealed class CdnFrontProxyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Cdn_edge_that_cannot_reach_a_healthy_origin_is_the_cdn_tier_for_doctor_and_for_the_collector_and_never_the_app()
    {
        var backendPort = Ports.Free();
        using var stack = new FaultStack("cdn", output);
        stack.Own(ScriptedBackend.OnTcp(backendPort, ScriptedBackend.AnswerOk));
        await stack.StartAsync($"location / {{ proxy_pass http://127.0.0.1:{backendPort}; }}");
        using var front = await CloudflareLikeFront.StartAsync($"127.0.0.2:{stack.NginxPort}");
        await stack.RunAsync(async () =>
        {
            using var viaCdn = await stack.Http.GetAsync(front.Url);
            Assert.Equal(521, (int)viaCdn.StatusCode);
            Assert.Equal("cloudflare", viaCdn.Headers.Server.ToString());
            Assert.Equal(CloudflareLikeFront.Ray, Assert.Single(viaCdn.Headers.GetValues("cf-ray")));
            Assert.Equal(200, await stack.GetStatusAsync("/")); // the origin, directly

            var origin = $"127.0.0.1:{stack.NginxPort}";
            var nginx = $"{RepoPaths.Nginx} -p {stack.Dir.Path} -c {stack.NginxConfig}";
            var doctor = await DoctorRunner.RunAsync(nginx, "--url", front.Url);
            output.WriteLine(doctor.Stderr + doctor.Stdout);
            Assert.Equal(1, doctor.ExitCode);
            var problem = Assert.Single(doctor.Report.GetProperty("problems").EnumerateArray());
            Assert.Equal("cdn_origin_unreachable", problem.GetProperty("cause").GetString());
            Assert.Equal("cdn", problem.GetProperty("tier").GetString());
            Assert.Equal(origin, problem.GetProperty("target").GetString());
            var evidence = problem.GetProperty("evidence").ToString();
            Assert.Contains($"cf-ray: {CloudflareLikeFront.Ray}", evidence, StringComparison.Ordinal);
            Assert.Contains($"the same request sent to the origin {origin} directly -> 200", evidence, StringComparison.Ordinal);

            // The origin's agent saw healthy traffic only: nothing for the collector to blame on the app.
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Empty(await stack.IncidentsAsync());

            // An agent that probes the URL through the CDN gives the collector the same symptom doctor saw.
            await stack.StartProbeAgentAsync(front.Url, origin);
            var incident = await stack.WaitForIncidentAsync("cdn_origin_unreachable", origin);
            Assert.Equal("cdn", incident.GetProperty("tier").GetString());
            var evidenceText = FaultStack.EvidenceText(await stack.IncidentAsync(incident.GetProperty("id").GetString()!));
            Assert.Contains($"-> 521, server: cloudflare, cf-ray: {CloudflareLikeFront.Ray}", evidenceText, StringComparison.Ordinal);
            Assert.Contains($"the same request sent to the origin {origin} directly -> 200", evidenceText, StringComparison.Ordinal);
            Assert.DoesNotContain(await stack.IncidentsAsync(), i => i.GetProperty("tier").GetString() == "app");
            await stack.WaitForWebhookAsync("incident_opened", incident.GetProperty("id").GetString()!);

            await front.RepointAsync(origin);
            using var fixedCdn = await stack.Http.GetAsync(front.Url);
            Assert.Equal(HttpStatusCode.OK, fixedCdn.StatusCode);
            await stack.AssertResolvesAsync(incident.GetProperty("id").GetString()!);
            var after = await DoctorRunner.RunAsync(nginx, "--url", front.Url);
            output.WriteLine(after.Stdout);
            Assert.Equal(0, after.ExitCode);
        });
    }
}
