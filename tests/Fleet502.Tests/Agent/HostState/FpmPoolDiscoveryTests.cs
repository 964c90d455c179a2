using System.Diagnostics;
using Fleet502.Agent.Configuration;
using Fleet502.Agent.Sources.PhpFpm;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet502.Tests.Agent.HostState;

/// <summary>Pools found from php-fpm's own pool files, sampled with no pool configured in the agent (real php-fpm).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FpmPoolDiscoveryTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private Process? _fpm;

    private string PoolDirectory => _dir.Combine("etc/php/8.2/fpm/pool.d");

    private string Pattern => _dir.Combine("etc/php/*/fpm/pool.d/*.conf");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(PoolDirectory);
        var root = Environment.UserName == "root";
        var user = root ? "user = nobody\ngroup = nogroup\n" : "";
        await File.WriteAllTextAsync(Path.Combine(PoolDirectory, "shop.conf"), $"""
            ; the shop's pool: status on its own socket
            [shop]
            {user}listen = "{_dir.Path}/$pool.sock"
            listen.mode = 0666
            pm = static
            pm.max_children = 3 ; three workers
            pm.status_path = /fpm-status
            pm.status_listen = {_dir.Path}/$pool-status.sock
            """);
        await File.WriteAllTextAsync(Path.Combine(PoolDirectory, "legacy.conf"), $"""
            [legacy]
            {user}listen = {_dir.Path}/legacy.sock
            listen.mode = 0666
            pm = ondemand
            pm.max_children = 5
            """);
        var conf = _dir.Combine("php-fpm.conf");
        await File.WriteAllTextAsync(conf, $"""
            [global]
            pid = {_dir.Combine("fpm.pid")}
            error_log = {_dir.Combine("fpm.log")}
            daemonize = no
            include = {PoolDirectory}/*.conf
            """);
        string[] args = root ? ["-R", "-F", "-n", "-y", conf] : ["-F", "-n", "-y", conf];
        _fpm = Process.Start(new ProcessStartInfo(FindFpm(), args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!File.Exists(_dir.Combine("shop-status.sock")) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_pool_with_a_status_path_in_a_real_php_fpm_pool_file_is_sampled_with_no_configuration()
    {
        var pools = FpmPoolDiscovery.Discover([Pattern]);
        Assert.Equal(["legacy", "shop"], pools.Select(p => p.Name).Order());

        var readers = FpmPoolDiscovery.Readers(new PhpFpmOptions { PoolFiles = [Pattern] }, NullLogger.Instance);

        // Only the pool that sets pm.status_path can be sampled; asked on its pm.status_listen.
        var reader = Assert.Single(readers);
        Assert.Equal("unix:" + _dir.Combine("shop-status.sock"), reader.Endpoint.Text);
        // php-fpm answers on the status socket before its scoreboard lists the static workers it is
        // still starting (a loaded CI machine showed 0): ask again until they are there.
        var status = await reader.ReadAsync(default);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (status.Reachable && status.TotalProcesses < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            status = await reader.ReadAsync(default);
        }

        Assert.True(status.Reachable, status.Error);
        Assert.Equal("shop", status.Pool);
        Assert.Equal("static", status.ProcessManager);
        Assert.Equal(3u, status.TotalProcesses);
        Assert.Equal(3u, status.MaxChildren);
    }

    [Fact]
    public async Task A_configured_pool_gets_max_children_from_the_pool_file_that_declares_its_address()
    {
        var options = new PhpFpmOptions
        {
            PoolFiles = [Pattern],
            Pools = [new FpmPoolOptions { Endpoint = "unix:" + _dir.Combine("shop-status.sock"), StatusPath = "/fpm-status" }],
        };

        var reader = Assert.Single(FpmPoolDiscovery.Readers(options, NullLogger.Instance));
        var status = await reader.ReadAsync(default);

        Assert.True(status.Reachable, status.Error);
        Assert.Equal(3u, status.MaxChildren);
    }

    [Fact]
    public void The_debian_php8_2_fpm_default_pool_file_parses_and_has_no_status_path()
    {
        var pool = Assert.Single(FpmPoolDiscovery.Parse(RecordedOutput.Read("php8.2-fpm-www.conf"), "www.conf"));

        Assert.Equal("www", pool.Name);
        Assert.Equal("/run/php/php8.2-fpm.sock", pool.Listen);
        Assert.Equal(5u, pool.MaxChildren);
        Assert.Equal("", pool.StatusPath);
        Assert.Equal("", pool.StatusListen);
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
