using System.Diagnostics;
using System.Globalization;
using Fleet502.EndToEndTests.Harness;
using Xunit.Abstractions;

namespace Fleet502.EndToEndTests.FaultMatrix;

/// <summary>
/// Scenario 6: the backend (real php under real supervisord, program "ledger") is killed with
/// SIGKILL while it serves slow requests, and supervisord restarts it. The requests in flight get a
/// 502 (nginx: the upstream closed the connection) and the incident is upstream_crash, citing the
/// restart once the agent has sampled it; once the restarted backend serves again, it resolves.
/// </summary>
public sealed class SupervisordCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Backend_killed_mid_request_and_restarted_by_supervisord_opens_upstream_crash_and_resolves_once_it_serves_again()
    {
        var port = Ports.Free();
        using var stack = new FaultStack("crash", output);
        var backend = stack.Own(await SupervisedPhpServer.StartAsync(stack.Dir.Path, "ledger", port));
        await stack.StartAsync($"location /ledger/ {{ proxy_pass http://127.0.0.1:{port}/; }}", supervisordSocket: backend.Socket);
        await stack.RunAsync(async () =>
        {
            Assert.Equal(200, await stack.GetStatusAsync("/ledger/"));
            var pid = await PidAsync(backend);

            var inFlight = stack.GetStatusAsync("/ledger/?sleep=5000");
            var serving = Path.Combine(backend.DocumentRoot, "serving");
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (!File.Exists(serving)) // the backend is serving the request (a loaded CI machine can take a while)
            {
                Assert.True(DateTime.UtcNow < deadline, "the slow request never reached the backend");
                await Task.Delay(50);
            }

            Process.GetProcessById(pid).Kill(); // SIGKILL, as the OOM killer or a segfault would
            Assert.Equal(502, await inFlight);

            var incident = await stack.AssertIncidentAsync("upstream_crash", $"127.0.0.1:{port}", "upstream prematurely closed connection");
            await stack.AssertDoctorAgreesAsync(incident); // doctor, run as a new user would, names the same cause
            Assert.Equal("app", incident.GetProperty("tier").GetString());

            // supervisord restarted it (a new pid), and it serves again.
            await SupervisedPhpServer.WaitForPortAsync(port);
            Assert.NotEqual(pid, await PidAsync(backend));

            // The agent samples supervisord after the 502: that restart joins the open incident's evidence.
            var id = incident.GetProperty("id").GetString()!;
            var restartDeadline = DateTime.UtcNow + FaultStack.IncidentTimeout;
            while (!FaultStack.EvidenceText(await stack.IncidentAsync(id)).Contains("ledger restarted at", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < restartDeadline, "the incident never cited supervisord's restart: " + FaultStack.EvidenceText(await stack.IncidentAsync(id)));
                await Task.Delay(250);
            }

            Assert.All(await stack.GetManyAsync("/ledger/", 3), s => Assert.Equal(200, s));
            await stack.AssertResolvesAsync(incident.GetProperty("id").GetString()!);
        });
    }

    private static async Task<int> PidAsync(SupervisedPhpServer backend)
    {
        var output = await backend.CtlAsync("pid");
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        Assert.True(int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var pid), "supervisorctl pid printed no pid:\n" + output);
        return pid;
    }
}
