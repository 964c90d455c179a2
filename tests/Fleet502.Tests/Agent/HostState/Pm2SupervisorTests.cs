using Fleet502.Agent.Sources.Supervisors;
using Fleet502.Agent.Sources.Supervisors.Pm2;
using Fleet502.Protos.V1;

namespace Fleet502.Tests.Agent.HostState;

/// <summary>
/// A real pm2 (npm package, installed by scripts/setup.sh) with its own daemon in a temp PM2_HOME,
/// running a node app the test stops, crashes and restarts; read through <c>pm2 jlist</c> as the agent does.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class Pm2SupervisorTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly ServiceStateTracker _tracker = new();
    private readonly List<ServiceState> _changes = [];
    private Pm2Supervisor? _supervisor;

    private string Home => _dir.Combine("pm2");

    private string CrashTrigger => _dir.Combine("crash");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Home);
        // Exits with code 3 when the trigger file appears (a crash as pm2 sees it); "flaky" exits at once, always.
        await File.WriteAllTextAsync(_dir.Combine("app.js"), """
            const fs = require('fs');
            const trigger = process.argv[2];
            setInterval(() => {
              if (fs.existsSync(trigger)) { fs.unlinkSync(trigger); process.exit(3); }
            }, 50);
            """);
        await File.WriteAllTextAsync(_dir.Combine("flaky.js"), "process.exit(5);\n");
        // Exits sooner than min_uptime: an unstable restart; past max_restarts pm2 gives up ("errored").
        await File.WriteAllTextAsync(_dir.Combine("flaky.config.js"), $$"""
            module.exports = { apps: [{ name: 'flaky', script: '{{_dir.Combine("flaky.js")}}', max_restarts: 2, min_uptime: 5000 }] };
            """);
        _supervisor = new Pm2Supervisor("pm2", Home, TimeSpan.Zero, TimeProvider.System);
    }

    [Fact]
    public async Task Stop_crash_and_restart_of_a_real_pm2_app_are_seen_with_pid_restarts_and_exit_code()
    {
        Assert.False(_supervisor!.IsPresent());
        await Pm2("start", _dir.Combine("app.js"), "--name", "api", "--", CrashTrigger);
        Assert.True(_supervisor.IsPresent());

        var online = await WaitFor("api", s => s.Status == ServiceStatus.Running && s.MainPid > 0);
        Assert.Equal("online", online.RawState);
        Assert.Equal(0u, online.Restarts);
        Assert.Equal("0", online.Id);
        Assert.True(online.MemoryBytes > 0);
        Assert.True(Directory.Exists($"/proc/{online.MainPid}"), "the reported pid is a live process");

        // A crash: exit code 3, pm2 restarts the app under a new pid and counts it.
        await File.WriteAllTextAsync(CrashTrigger, "");
        var recovered = await WaitFor("api", s => s.Status == ServiceStatus.Running && s.MainPid != online.MainPid && s.MainPid > 0);
        Assert.Equal(1u, recovered.Restarts);
        Assert.Equal(3, recovered.ExitCode);

        await Pm2("stop", "api");
        var stopped = await WaitFor("api", s => s.Status == ServiceStatus.Stopped);
        Assert.Equal(0, stopped.MainPid);
        Assert.Equal("stopped", stopped.RawState);

        // Starting a stopped app is not a restart; restarting a running one is.
        await Pm2("start", "api");
        var started = await WaitFor("api", s => s.Status == ServiceStatus.Running && s.MainPid > 0);
        Assert.NotEqual(recovered.MainPid, started.MainPid);
        Assert.Equal(1u, started.Restarts);

        await Pm2("restart", "api");
        var restarted = await WaitFor("api", s => s.Status == ServiceStatus.Running && s.MainPid > 0 && s.MainPid != started.MainPid);
        Assert.Equal(2u, restarted.Restarts);

        // Each transition was a change, in order.
        var api = _changes.Where(c => c.Name == "api").Select(c => (c.Status, c.MainPid)).ToList();
        Assert.Equal((ServiceStatus.Running, online.MainPid), api[0]);
        Assert.Contains((ServiceStatus.Running, recovered.MainPid), api);
        Assert.Contains((ServiceStatus.Stopped, 0), api);
        Assert.Equal((ServiceStatus.Running, restarted.MainPid), api[^1]);
    }

    [Fact]
    public async Task An_app_that_keeps_exiting_ends_errored_which_is_failed()
    {
        await Pm2("start", _dir.Combine("flaky.config.js"));

        var errored = await WaitFor("flaky", s => s.Status == ServiceStatus.Failed, TimeSpan.FromSeconds(40));

        Assert.Equal("errored", errored.RawState);
        Assert.Equal(5, errored.ExitCode);
        Assert.Equal(0, errored.MainPid);
        Assert.True(errored.Restarts >= 1, $"restarts: {errored.Restarts}");
    }

    private async Task Pm2(params string[] arguments) =>
        await CommandRunner.RunAsync("pm2", arguments, new Dictionary<string, string> { ["PM2_HOME"] = Home }, TimeSpan.FromSeconds(60), default);

    private async Task<ServiceState> WaitFor(string name, Func<ServiceState, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var states = await _supervisor!.ReadAsync(default);
            _changes.AddRange(_tracker.Changes(states));
            var state = states.SingleOrDefault(s => s.Name == name);
            if (state is not null && condition(state))
            {
                return state;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{name} never reached the expected state; last: {state}");
            await Task.Delay(200);
        }
    }

    public async Task DisposeAsync()
    {
        // Only this test's daemon: `pm2 kill` with its PM2_HOME.
        if (File.Exists(Path.Combine(Home, "pm2.pid")))
        {
            await Pm2("kill");
        }

        _dir.Dispose();
    }
}
