using System.Diagnostics;
using Fleet502.Agent.Sources.PhpFpm;

namespace Fleet502.Tests.Agent.HostState;

/// <summary>A real php-fpm pool (Debian package <c>php8.2-fpm</c>) with pm.max_children = 2, saturated by FastCGI requests from the test.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FpmStatusReaderTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private Process? _fpm;

    // TCP: php-fpm measures "listen queue" with TCP_INFO, so on a unix socket it stays 0 (php 8.2).
    private readonly int _port = FreePort();

    private string PoolAddress => $"127.0.0.1:{_port}";

    private string StatusSocket => _dir.Combine("status.sock");

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(_dir.Combine("slow.php"), "<?php usleep(2500000); echo 'done';");
        File.SetUnixFileMode(_dir.Combine("slow.php"), (UnixFileMode)0b110_100_100);
        var conf = _dir.Combine("fpm.conf");
        var root = Environment.UserName == "root";
        await File.WriteAllTextAsync(conf, $"""
            [global]
            pid = {_dir.Combine("fpm.pid")}
            error_log = {_dir.Combine("fpm.log")}
            daemonize = no

            [www]
            {(root ? "user = nobody\ngroup = nogroup" : "")}
            listen = {PoolAddress}
            listen.mode = 0666
            listen.backlog = 64
            pm = dynamic
            pm.max_children = 2
            pm.start_servers = 1
            pm.min_spare_servers = 1
            pm.max_spare_servers = 1
            pm.status_path = /status
            pm.status_listen = {StatusSocket}
            """);
        string[] args = root ? ["-R", "-F", "-n", "-y", conf] : ["-F", "-n", "-y", conf];
        _fpm = Process.Start(new ProcessStartInfo(FindFpm(), args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!File.Exists(StatusSocket) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_saturated_real_pool_reports_max_children_reached_and_a_listen_queue()
    {
        var reader = new FpmStatusReader(FastCgiEndpoint.Parse("unix:" + StatusSocket), "/status", TimeSpan.FromSeconds(5));
        var idle = await reader.ReadAsync(default);
        Assert.True(idle.Reachable, idle.Error);
        Assert.Equal("www", idle.Pool);
        Assert.Equal("dynamic", idle.ProcessManager);
        Assert.Equal(0u, idle.ListenQueue);
        Assert.False(idle.Saturated);

        // Six slow requests against two children: two run, four wait in the backlog.
        var pool = FastCgiEndpoint.Parse(PoolAddress);
        var load = Enumerable.Range(0, 6)
            .Select(_ => FastCgiClient.GetAsync(pool, "/slow.php", "", _dir.Combine("slow.php"), TimeSpan.FromSeconds(30), default))
            .ToList();

        var samples = new List<Fleet502.Protos.V1.FpmPool>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && !samples.Any(s => s.ListenQueue > 0 && s.MaxChildrenReached > 0))
        {
            samples.Add(await reader.ReadAsync(default));
            await Task.Delay(200);
        }

        var responses = await Task.WhenAll(load);
        Assert.All(responses, r => Assert.Equal("done", System.Text.Encoding.UTF8.GetString(r.Body)));
        Assert.Contains(samples, s => s.ActiveProcesses == 2 && s.IdleProcesses == 0);
        Assert.Contains(samples, s => s.ListenQueue > 0);
        Assert.Contains(samples, s => s.MaxChildrenReached > 0);
        Assert.Contains(samples, s => s.Saturated);
        Assert.True(samples[^1].MaxListenQueue >= 1);
    }

    [Fact]
    public async Task Status_asked_on_the_busy_pool_socket_times_out_and_says_so()
    {
        var pool = FastCgiEndpoint.Parse(PoolAddress);
        var load = Enumerable.Range(0, 4)
            .Select(_ => FastCgiClient.GetAsync(pool, "/slow.php", "", _dir.Combine("slow.php"), TimeSpan.FromSeconds(30), default))
            .ToList();
        await Task.Delay(300);

        var status = await new FpmStatusReader(pool, "/status", TimeSpan.FromSeconds(1)).ReadAsync(default);

        Assert.False(status.Reachable);
        Assert.Contains("no FastCGI answer", status.Error, StringComparison.Ordinal);
        await Task.WhenAll(load);
    }

    [Fact]
    public async Task A_missing_pool_socket_is_reported_not_thrown()
    {
        var status = await new FpmStatusReader(FastCgiEndpoint.Parse(_dir.Combine("none.sock")), "/status", TimeSpan.FromSeconds(1)).ReadAsync(default);

        Assert.False(status.Reachable);
        Assert.NotEmpty(status.Error);
    }

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
