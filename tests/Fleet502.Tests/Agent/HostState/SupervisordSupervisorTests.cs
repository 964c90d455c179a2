using System.Diagnostics;
using Fleet502.Agent.Sources.Supervisors;
using Fleet502.Agent.Sources.Supervisors.Supervisord;
using Fleet502.Protos.V1;

namespace Fleet502.Tests.Agent.HostState;

/// <summary>A real supervisord (Debian package <c>supervisor</c>) in a temp dir, asked over its unix socket.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SupervisordSupervisorTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private Process? _supervisord;
    private SupervisordClient? _client;
    private SupervisordSupervisor? _supervisor;
    private readonly ServiceStateTracker _tracker = new();
    private readonly List<ServiceState> _changes = [];

    private string Socket => _dir.Combine("supervisor.sock");

    public async Task InitializeAsync()
    {
        var conf = _dir.Combine("supervisord.conf");
        await File.WriteAllTextAsync(conf, $"""
            [unix_http_server]
            file={Socket}
            chmod=0700

            [supervisord]
            nodaemon=true
            logfile={_dir.Combine("supervisord.log")}
            pidfile={_dir.Combine("supervisord.pid")}
            childlogdir={_dir.Path}
            user=root

            [rpcinterface:supervisor]
            supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

            [program:app]
            command=sleep 1000
            startsecs=1
            autorestart=unexpected
            exitcodes=0

            [program:flaky]
            command=sh -c 'exit 3'
            startsecs=1
            startretries=1
            autorestart=true
            """);
        _supervisord = Process.Start(new ProcessStartInfo("supervisord", ["-n", "-c", conf]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        _client = new SupervisordClient(UnixSocketHttp.Create(Socket, TimeSpan.FromSeconds(5)));
        _supervisor = new SupervisordSupervisor(_client, Socket);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!File.Exists(Socket) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Stop_crash_and_restart_of_a_real_supervisord_program_are_seen_as_state_transitions()
    {
        Assert.True(_supervisor!.IsPresent());
        var running = await WaitFor("app", s => s.Status == ServiceStatus.Running);
        Assert.True(running.MainPid > 0);
        Assert.Equal("RUNNING", running.RawState);

        await _client!.CallAsync("supervisor.stopProcess", default, "app", true);
        var stopped = await WaitFor("app", s => s.Status == ServiceStatus.Stopped);
        Assert.Equal(0, stopped.MainPid);

        await _client.CallAsync("supervisor.startProcess", default, "app", true);
        var restarted = await WaitFor("app", s => s.Status == ServiceStatus.Running);
        Assert.NotEqual(running.MainPid, restarted.MainPid);
        Assert.Equal(1u, restarted.Restarts);

        // A crash: SIGKILL is an unexpected exit, supervisord restarts the program.
        Process.GetProcessById(restarted.MainPid).Kill();
        var recovered = await WaitFor("app", s => s.Status == ServiceStatus.Running && s.MainPid != restarted.MainPid);
        Assert.Equal(2u, recovered.Restarts);

        // Every transition was reported once as a change, in order.
        var appChanges = _changes.Where(c => c.Name == "app").Select(c => c.Status).ToList();
        Assert.Contains(appChanges[0], new[] { ServiceStatus.Starting, ServiceStatus.Running });
        Assert.Contains(ServiceStatus.Stopped, appChanges);
        Assert.Equal(ServiceStatus.Running, appChanges[^1]);
        Assert.True(appChanges.Count(s => s == ServiceStatus.Running) >= 3);
    }

    [Fact]
    public async Task A_program_that_keeps_exiting_ends_fatal_which_is_failed()
    {
        var fatal = await WaitFor("flaky", s => s.Status == ServiceStatus.Failed, TimeSpan.FromSeconds(30));

        Assert.Equal("FATAL", fatal.RawState);
        Assert.Contains(_changes, c => c.Name == "flaky" && c.Status is ServiceStatus.Restarting or ServiceStatus.Starting);
    }

    [Fact]
    public async Task An_unreachable_supervisord_is_reported_unavailable_not_thrown_raw()
    {
        using var client = new SupervisordClient(UnixSocketHttp.Create(_dir.Combine("none.sock"), TimeSpan.FromSeconds(2)));
        var supervisor = new SupervisordSupervisor(client, _dir.Combine("none.sock"));

        Assert.False(supervisor.IsPresent());
        await Assert.ThrowsAsync<SupervisorUnavailableException>(() => supervisor.ReadAsync(default));
    }

    private async Task<ServiceState> WaitFor(string name, Func<ServiceState, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
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
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        if (_supervisord is { HasExited: false })
        {
            _supervisord.Kill(entireProcessTree: true);
            await _supervisord.WaitForExitAsync();
        }

        _supervisord?.Dispose();
        _client?.Dispose();
        _dir.Dispose();
    }
}
