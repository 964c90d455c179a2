using Fleet502.EndToEndTests.Harness;
using Xunit.Abstractions;

namespace Fleet502.EndToEndTests.FaultMatrix;

/// <summary>
/// Scenario 4: a real php-fpm pool with one child (pm = static, pm.max_children = 1) and a tiny
/// listen backlog; parallel requests to a slow script through nginx's fastcgi_pass fill the pool and
/// its backlog, and nginx's connect() to the pool's socket fails with EAGAIN.
/// </summary>
public sealed class PhpFpmPoolTests(ITestOutputHelper output)
{
    private const string PhpFpm = "/usr/sbin/php-fpm8.2";

    [Fact]
    public async Task Parallel_load_on_a_one_child_pool_opens_fpm_pool_exhausted_and_resolves_once_the_load_is_gone()
    {
        using var stack = new FaultStack("fpm", output);
        var socket = stack.Dir.File("fpm.sock");
        var script = stack.Dir.File("app.php");
        await File.WriteAllTextAsync(script, "<?php if (isset($_GET['slow'])) { usleep(1500000); } echo 'ok';\n");
        var conf = stack.Dir.File("php-fpm.conf");
        await File.WriteAllTextAsync(conf, $"""
            [global]
            pid = {stack.Dir.File("php-fpm.pid")}
            error_log = {stack.Dir.File("php-fpm.log")}
            daemonize = no

            [app]
            user = root
            group = root
            listen = {socket}
            listen.mode = 0666
            listen.backlog = 1
            pm = static
            pm.max_children = 1
            pm.status_path = /fpm-status
            """);
        // -R: the pool runs as root, which php-fpm refuses without it.
        var fpm = stack.Own(new ChildProcess("php-fpm", PhpFpm, ["-R", "-n", "-y", conf, "-F"]));
        await WaitForFileAsync(socket, fpm);
        await stack.StartAsync($$"""
            location / {
                include /etc/nginx/fastcgi_params;
                fastcgi_param SCRIPT_FILENAME {{script}};
                fastcgi_pass unix:{{socket}};
            }
            """,
            // Zero pool configuration: the agent finds the pool, its status path and its limit in the pool file.
            agentExtra: $$"""
                "PhpFpm": { "FollowErrorLog": false, "SampleInterval": "00:00:00.500", "PoolFiles": ["{{conf}}"] },
                """);
        await stack.RunAsync(async () =>
        {
            Assert.Equal(200, await stack.GetStatusAsync("/"));

            var statuses = await stack.GetManyAsync("/?slow=1", 10, parallel: true);
            output.WriteLine("parallel statuses: " + string.Join(' ', statuses));
            Assert.Contains(502, statuses);
            Assert.Contains(200, statuses);
            var incident = await stack.AssertIncidentAsync("fpm_pool_exhausted", "unix:" + socket, "(11: Resource temporarily unavailable)");
            await stack.AssertDoctorAgreesAsync(incident);
            var detail = await stack.IncidentAsync(incident.GetProperty("id").GetString()!);
            Assert.Contains("pool [app] is configured with pm.max_children = 1", FaultStack.EvidenceText(detail), StringComparison.Ordinal);
            Assert.Contains("pm.max_children = ", detail.GetProperty("fix").GetString(), StringComparison.Ordinal);

            // The load is gone: one request at a time is served by the one child.
            Assert.All(await stack.GetManyAsync("/", 3), s => Assert.Equal(200, s));
            await stack.AssertResolvesAsync(incident.GetProperty("id").GetString()!);
        });
    }

    private static async Task WaitForFileAsync(string path, ChildProcess process)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!File.Exists(path))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"{path} was not created\n{process.Output}");
            }

            await Task.Delay(50);
        }
    }
}
