using Fleet502.EndToEndTests.Harness;
using Xunit.Abstractions;

namespace Fleet502.EndToEndTests.FaultMatrix;

/// <summary>
/// Scenario 1: a real backend process (php's built-in web server) under real supervisord, stopped
/// with supervisorctl as an operator would, then started again.
/// </summary>
public sealed class SupervisordBackendTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Backend_stopped_under_supervisord_opens_backend_down_and_resolves_once_started_again()
    {
        var port = Ports.Free();
        using var stack = new FaultStack("supervisord", output);
        var www = stack.Dir.File("www");
        Directory.CreateDirectory(www);
        await File.WriteAllTextAsync(Path.Combine(www, "index.php"), "<?php echo 'ok';\n");
        var socket = stack.Dir.File("supervisor.sock");
        var conf = stack.Dir.File("supervisord.conf");
        await File.WriteAllTextAsync(conf, $"""
            [unix_http_server]
            file = {socket}
            chmod = 0700

            [supervisord]
            logfile = {stack.Dir.File("supervisord.log")}
            pidfile = {stack.Dir.File("supervisord.pid")}
            childlogdir = {stack.Dir.Path}
            nodaemon = true

            [rpcinterface:supervisor]
            supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

            [supervisorctl]
            serverurl = unix://{socket}

            [program:orders]
            command = /usr/bin/php -S 127.0.0.1:{port} -t {www}
            autostart = true
            autorestart = true
            startsecs = 1
            stopasgroup = true
            killasgroup = true
            """);
        var supervisord = stack.Own(new ChildProcess("supervisord", "/usr/bin/supervisord", ["-c", conf, "-n"]));
        await FaultStack.WaitForPortAsync(port, supervisord);
        await stack.StartAsync($"location / {{ proxy_pass http://127.0.0.1:{port}; }}", supervisordSocket: socket);
        await stack.RunAsync(async () =>
        {
            Assert.Equal(200, await stack.GetStatusAsync("/"));

            await SupervisorctlAsync(conf, "stop", "orders");
            Assert.All(await stack.GetManyAsync("/orders", 3), s => Assert.Equal(502, s));
            var incident = await stack.AssertIncidentAsync("backend_down", $"127.0.0.1:{port}", "Connection refused");
            var id = incident.GetProperty("id").GetString()!;

            // The first errors may be judged against a listener snapshot from before the stop ("was
            // listening at ..."); traffic that keeps failing is judged against a newer one.
            var deadline = DateTime.UtcNow + FaultStack.IncidentTimeout;
            // The supervisor's state is part of the evidence: supervisord says the program was stopped.
            while (!FaultStack.EvidenceText(incident).Contains($"nothing listens on 127.0.0.1:{port}", StringComparison.Ordinal)
                || !FaultStack.EvidenceText(incident).Contains("orders was stopped at", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline, "the evidence never showed the port without a listener and the program stopped: " + incident);
                Assert.Equal(502, await stack.GetStatusAsync("/orders"));
                await Task.Delay(500);
                incident = await stack.IncidentAsync(id);
            }

            Assert.Equal(0.95, incident.GetProperty("confidence").GetDouble());
            await stack.AssertDoctorAgreesAsync(incident);

            await SupervisorctlAsync(conf, "start", "orders");
            await FaultStack.WaitForPortAsync(port);
            Assert.All(await stack.GetManyAsync("/orders", 3), s => Assert.Equal(200, s));
            await stack.AssertResolvesAsync(id);
            Assert.Contains($"127.0.0.1:{port} listens again", FaultStack.EvidenceText(await stack.IncidentAsync(id)), StringComparison.Ordinal);
        });
    }

    private async Task SupervisorctlAsync(string conf, string verb, string program)
    {
        using var ctl = new ChildProcess("supervisorctl", "/usr/bin/supervisorctl", ["-c", conf, verb, program]);
        var exited = await ctl.WaitForExitAsync(TimeSpan.FromSeconds(20));
        output.WriteLine(ctl.Output);
        Assert.True(exited, $"supervisorctl {verb} {program} did not finish");
    }
}
