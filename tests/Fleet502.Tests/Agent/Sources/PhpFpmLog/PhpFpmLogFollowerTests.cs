using System.Diagnostics;
using Fleet502.Agent.Sources.PhpFpm;
using Fleet502.Agent.Sources.PhpFpmLog;
using Fleet502.Agent.Tailing;
using Fleet502.Protos.V1;
using Fleet502.Tests.Agent.HostState;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet502.Tests.Agent.Sources.PhpFpmLog;

/// <summary>
/// A real php-fpm (Debian package <c>php8.2-fpm</c>) writing its error log into a temp directory: two
/// children, a 1 s slowlog timeout and a 2 s terminate timeout, saturated by six 3 s requests, so it
/// logs max_children, slow requests, terminated requests and the SIGTERM'd children.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PhpFpmLogFollowerTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly int _port = FreePort();
    private Process? _fpm;

    private string Config => _dir.Combine("fpm.conf");

    private string Log => _dir.Combine("fpm.log");

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(_dir.Combine("slow.php"), "<?php usleep(3000000); echo 'done';");
        File.SetUnixFileMode(_dir.Combine("slow.php"), (UnixFileMode)0b110_100_100);
        var root = Environment.UserName == "root";
        // error_log is quoted and commented, and a pool sets PHP's own error_log: discovery must read the global one.
        await File.WriteAllTextAsync(Config, $"""
            ; test pool
            [global]
            pid = {_dir.Combine("fpm.pid")}
            error_log = "{Log}" ; quoted, with a comment
            daemonize = no

            [www]
            {(root ? "user = nobody\ngroup = nogroup" : "")}
            php_admin_value[error_log] = /nowhere/scripts-log-not-fpms-own.log
            listen = 127.0.0.1:{_port}
            pm = dynamic
            pm.max_children = 2
            pm.start_servers = 1
            pm.min_spare_servers = 1
            pm.max_spare_servers = 1
            request_slowlog_timeout = 1s
            slowlog = {_dir.Combine("slow.log")}
            request_terminate_timeout = 2s
            """);
        string[] args = root ? ["-R", "-F", "-n", "-y", Config] : ["-F", "-n", "-y", Config];
        _fpm = Process.Start(new ProcessStartInfo(FindFpm(), args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline && !(File.Exists(Log) && (await File.ReadAllTextAsync(Log)).Contains("ready to handle connections", StringComparison.Ordinal)))
        {
            await Task.Delay(100);
        }
    }

    [Fact]
    public void The_error_log_is_found_from_the_config_and_from_the_running_master()
    {
        var notes = new List<string>();

        Assert.Equal([Log], PhpFpmErrorLogs.Discover([Config], fromProcesses: false, notes));
        Assert.Contains(Config, PhpFpmErrorLogs.RunningMasterConfigs());
        Assert.Contains(Log, PhpFpmErrorLogs.Discover([], fromProcesses: true, notes));
    }

    [Fact]
    public async Task A_saturated_real_pool_becomes_max_children_slow_terminated_and_killed_child_events()
    {
        var pending = new PendingOffsets();
        var patterns = PhpFpmErrorLogs.Discover([Config], fromProcesses: false, []);
        using var follower = new PhpFpmLogFollower(patterns, _dir.Combine("state"), new TailerSettings { ReadFromStart = true },
            TimeSpan.FromSeconds(1), pending, TimeProvider.System, NullLogger.Instance);

        var pool = FastCgiEndpoint.Parse($"127.0.0.1:{_port}");
        var load = Enumerable.Range(0, 6).Select(_ => Request(pool, _dir.Combine("slow.php"))).ToList();
        var events = new List<Event>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && !Has(events, FpmLogKind.MaxChildrenReached, FpmLogKind.SlowRequest, FpmLogKind.RequestTerminated, FpmLogKind.ChildKilled))
        {
            follower.Poll(events);
            await Task.Delay(200);
        }

        await Task.WhenAll(load);

        Assert.Contains(events, e => e.FpmLog.Kind == FpmLogKind.MasterReady);
        var maxChildren = events.First(e => e.FpmLog.Kind == FpmLogKind.MaxChildrenReached).FpmLog;
        Assert.Equal("www", maxChildren.Pool);
        Assert.Equal(2u, maxChildren.Limit);
        Assert.Equal(Cause.FpmPoolExhausted, maxChildren.Cause);

        var slow = events.First(e => e.FpmLog.Kind == FpmLogKind.SlowRequest).FpmLog;
        Assert.Equal(_dir.Combine("slow.php"), slow.Script);
        Assert.StartsWith("GET /slow.php", slow.Request, StringComparison.Ordinal);
        Assert.True(slow.Seconds >= 1, $"{slow.Seconds}");
        Assert.Equal(Cause.Unspecified, slow.Cause);

        var terminated = events.First(e => e.FpmLog.Kind == FpmLogKind.RequestTerminated).FpmLog;
        Assert.Equal(Cause.UpstreamCrash, terminated.Cause);
        Assert.True(terminated.Seconds >= 2, $"{terminated.Seconds}");

        var killed = events.First(e => e.FpmLog.Kind == FpmLogKind.ChildKilled).FpmLog;
        Assert.Equal(15, killed.Signal);
        Assert.Equal("SIGTERM", killed.SignalName);
        Assert.Equal(Cause.UpstreamCrash, killed.Cause);
        Assert.Equal(502, killed.Status);
        Assert.True(killed.Pid > 0);

        // Every event names its first line, and pins it until the collector acknowledges it.
        Assert.All(events, e => Assert.Equal(Log, e.Source.Path));
        Assert.All(events, e => Assert.Contains(e.FpmLog.Raw, File.ReadAllText(Log), StringComparison.Ordinal));
        Assert.Equal(events.Count, pending.Count);
        Assert.True(follower.Lines > events.Count, "child started / exited-with-code-0 lines are read but not reported");
    }

    private static async Task Request(FastCgiEndpoint pool, string script)
    {
        try
        {
            await FastCgiClient.GetAsync(pool, "/slow.php", "", script, TimeSpan.FromSeconds(20), default);
        }
        catch (Exception e) when (e is IOException or TimeoutException or System.Net.Sockets.SocketException or InvalidDataException)
        {
            // Terminated by request_terminate_timeout: the connection is cut, as nginx would see it.
        }
    }

    private static bool Has(List<Event> events, params FpmLogKind[] kinds) => kinds.All(k => events.Any(e => e.FpmLog.Kind == k));

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string FindFpm() =>
        new[] { "/usr/sbin/php-fpm8.2", "/usr/sbin/php-fpm" }.Concat(Directory.Exists("/usr/sbin") ? Directory.GetFiles("/usr/sbin", "php-fpm*") : [])
            .First(File.Exists);

    public async Task DisposeAsync()
    {
        if (_fpm is { HasExited: false })
        {
            _fpm.Kill(entireProcessTree: true);
            await _fpm.WaitForExitAsync();
        }

        _fpm?.Dispose();
        _dir.Dispose();
    }
}
