using Fleet502.Agent.Configuration;
using Fleet502.Agent.Sources.NginxConfig;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet502.Tests.Agent.Sources.NginxConfig;

/// <summary>The output of Debian's own nginx (<c>/usr/sbin/nginx -T</c>) on a temp prefix; skipped where it is not installed.</summary>
public sealed class RealNginxTests : IDisposable
{
    private const string Binary = "/usr/sbin/nginx";
    private readonly string _dir = Directory.CreateTempSubdirectory("fleet502-nginx-").FullName;

    [Fact]
    public async Task Debian_nginx_minus_T_is_parsed_with_includes_and_cached_until_the_config_changes()
    {
        if (!File.Exists(Binary))
        {
            return;
        }

        // Temp dirs are 0700; nginx -T as root checks the user can read them, so the workers run as root here.
        var user = Environment.UserName == "root" ? "user root;" : "";
        Directory.CreateDirectory(Path.Combine(_dir, "logs"));
        Directory.CreateDirectory(Path.Combine(_dir, "sites"));
        var conf = Path.Combine(_dir, "nginx.conf");
        await File.WriteAllTextAsync(conf, $$"""
            {{user}}
            pid {{_dir}}/nginx.pid;
            error_log {{_dir}}/logs/error.log warn;
            events { worker_connections 64; }
            http {
                log_format timing '$remote_addr [$time_local] "$request" $status rt=$request_time '
                                  'ua="$upstream_addr" us="$upstream_status" uht="$upstream_header_time"';
                access_log {{_dir}}/logs/access.log timing;
                map $http_upgrade $connection_upgrade { default upgrade; '' close; }
                upstream app {
                    server 127.0.0.1:3000 weight=2 max_fails=2 fail_timeout=5s;
                    server unix:{{_dir}}/app.sock backup;
                }
                include sites/*.conf;
            }
            """);
        await File.WriteAllTextAsync(Path.Combine(_dir, "sites", "a.conf"), """
            server {
                listen 127.0.0.1:18080;
                server_name a.test;
                proxy_read_timeout 90s;
                location / { proxy_pass http://app; proxy_buffers 8 32k; }
                location ~ \.php$ { fastcgi_pass unix:/run/php/php-fpm.sock; fastcgi_read_timeout 2m; }
            }
            """);

        var options = Options.Create(new AgentOptions { Nginx = new NginxOptions { NginxBinary = Binary, NginxArguments = ["-p", _dir + "/", "-c", conf] } });
        var reader = new NginxConfigReader(options, NullLogger<NginxConfigReader>.Instance);

        var snapshot = await reader.RefreshAsync(CancellationToken.None);

        Assert.NotNull(snapshot);
        Assert.Equal("", snapshot.Config.Error);
        Assert.Equal([conf, Path.Combine(_dir, "sites", "a.conf")], snapshot.Config.Files);
        var app = Assert.Single(snapshot.Config.Upstreams);
        Assert.Equal((2u, 2u, 5u), (app.Servers[0].Weight, app.Servers[0].MaxFails, app.Servers[0].FailTimeoutS));
        Assert.True(app.Servers[1].Backup);
        var proxy = snapshot.Config.Routes.Single(r => r.Module == "proxy");
        Assert.Equal(("http://app", "app", "location /"), (proxy.Target, proxy.Upstream, proxy.Location));
        Assert.Equal(["a.test"], proxy.ServerNames);
        Assert.Equal(90_000u, proxy.TimeoutsMs["proxy_read_timeout"]);
        Assert.Equal("8 32k", proxy.Buffers["proxy_buffers"]);
        Assert.Equal(120_000u, snapshot.Config.Routes.Single(r => r.Module == "fastcgi").TimeoutsMs["fastcgi_read_timeout"]);
        Assert.Equal($"{_dir}/logs/access.log", Assert.Single(snapshot.TailableAccessLogs()).Path);
        Assert.Equal("timing", snapshot.TailableAccessLogs().Single().Format);
        Assert.Contains($"{_dir}/logs/error.log", snapshot.TailableErrorLogs());

        // Unchanged files and pid: the cached snapshot, nginx not run again.
        Assert.Same(snapshot, await reader.RefreshAsync(CancellationToken.None));

        // A reload after an edit: read again.
        File.SetLastWriteTimeUtc(Path.Combine(_dir, "sites", "a.conf"), DateTime.UtcNow.AddMinutes(1));
        var reread = await reader.RefreshAsync(CancellationToken.None);
        Assert.NotSame(snapshot, reread);
        Assert.Equal(snapshot.Config.ConfigHash, reread!.Config.ConfigHash);
    }

    [Fact]
    public async Task A_broken_config_reports_nginxs_own_error()
    {
        if (!File.Exists(Binary))
        {
            return;
        }

        var conf = Path.Combine(_dir, "broken.conf");
        await File.WriteAllTextAsync(conf, $"pid {_dir}/nginx.pid; error_log {_dir}/e.log; events {{}} http {{ bogus_directive on; }}");
        var options = Options.Create(new AgentOptions { Nginx = new NginxOptions { NginxBinary = Binary, NginxArguments = ["-p", _dir + "/", "-c", conf] } });

        var snapshot = await new NginxConfigReader(options, NullLogger<NginxConfigReader>.Instance).RefreshAsync(CancellationToken.None);

        Assert.Contains("bogus_directive", snapshot!.Config.Error, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
