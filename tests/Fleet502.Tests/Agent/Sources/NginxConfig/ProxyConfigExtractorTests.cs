using Fleet502.Agent.Configuration;
using Fleet502.Agent.Sources.NginxAccessLog;
using Fleet502.Agent.Sources.NginxConfig;
using Fleet502.Protos.V1;

namespace Fleet502.Tests.Agent.Sources.NginxConfig;

public class ProxyConfigExtractorTests
{
    // Shaped like `nginx -T` output: every file printed after its marker, includes left in place.
    private const string Dump = """
        nginx: the configuration file /etc/nginx/nginx.conf syntax is ok
        # configuration file /etc/nginx/nginx.conf:
        user www-data;
        pid /run/nginx.pid;
        error_log /var/log/nginx/error.log warn;
        events { worker_connections 768; }
        http {
            include /etc/nginx/mime.types;
            log_format upstreaminfo '$remote_addr - $remote_user [$time_local] "$request" '
                                    '$status $body_bytes_sent "$http_referer" "$http_user_agent" '
                                    'rt=$request_time ua="$upstream_addr" us="$upstream_status"';
            log_format json escape=json '{"t":"$time_iso8601","s":$status}';
            access_log /var/log/nginx/access.log upstreaminfo;
            proxy_read_timeout 120s;
            proxy_buffer_size 16k;
            map $http_upgrade $connection_upgrade {
                default upgrade;
                ''      close;
            }
            upstream backend {
                zone backend 64k;
                server 10.0.0.1:8080 weight=5 max_fails=3 fail_timeout=30s;
                server 10.0.0.2:8080;
                server 10.0.0.3:8080 backup;
                server unix:/run/app.sock down;
                keepalive 32;
            }
            include /etc/nginx/conf.d/*.conf;
            include sites-enabled/*;
        }

        # configuration file /etc/nginx/mime.types:
        types {
            text/html html htm;
        }

        # configuration file /etc/nginx/conf.d/php.conf:
        server {
            listen 80;
            server_name php.example www.php.example;
            access_log /var/log/nginx/php.access.log json;
            error_log /var/log/nginx/php.error.log;
            fastcgi_read_timeout 300;
            fastcgi_buffers 16 16k;
            location ~ \.php$ {
                # comment with a ; and a { inside
                fastcgi_pass unix:/run/php/php8.2-fpm.sock;
                fastcgi_connect_timeout 500ms;
            }
        }

        # configuration file /etc/nginx/sites-enabled/default:
        server {
            listen 443 ssl http2;
            listen [::]:443 ssl;
            server_name "api.example";
            location /api/ {
                proxy_pass http://backend/;
                proxy_connect_timeout 5s;
                proxy_set_header Connection $connection_upgrade;
            }
            location /grpc { grpc_pass grpc://127.0.0.1:50051; }
            location /dyn {
                set $target "http://10.9.9.9:81";
                proxy_pass $target;
            }
            location /legacy { uwsgi_pass 127.0.0.1:3031; }
            location /s { scgi_pass localhost:4000; access_log off; }
        }
        """;

    [Fact]
    public void Tokenizer_handles_comments_quotes_and_variable_braces()
    {
        var tokens = ConfigTokenizer.Tokenize("a 'b c' \"d\\\"e\" ${x}y # ; {\n{ f; }");

        Assert.Equal(["a", "b c", "d\"e", "${x}y", "{", "f", ";", "}"], tokens.Select(t => t.Text));
        Assert.Equal(2, tokens[4].Line);
    }

    [Fact]
    public void Files_follow_the_minus_T_markers()
    {
        var files = ConfigTokenizer.SplitFiles(Dump);

        Assert.Equal(["/etc/nginx/nginx.conf", "/etc/nginx/mime.types", "/etc/nginx/conf.d/php.conf", "/etc/nginx/sites-enabled/default"], files.Select(f => f.Path));
    }

    [Fact]
    public void Named_upstreams_keep_weights_fails_backup_and_down()
    {
        var config = Extract();

        var backend = Assert.Single(config.Upstreams);
        Assert.Equal("backend", backend.Name);
        Assert.Equal(4, backend.Servers.Count);
        Assert.Equal((5u, 3u, 30u, false), (backend.Servers[0].Weight, backend.Servers[0].MaxFails, backend.Servers[0].FailTimeoutS, backend.Servers[0].Backup));
        Assert.Equal((1u, 1u, 10u), (backend.Servers[1].Weight, backend.Servers[1].MaxFails, backend.Servers[1].FailTimeoutS));
        Assert.True(backend.Servers[2].Backup);
        Assert.True(backend.Servers[3].Down);
        Assert.Equal("unix:/run/app.sock", backend.Servers[3].Address);
        Assert.Contains("keepalive 32", backend.Options);
    }

    [Fact]
    public void Every_pass_target_comes_with_its_server_location_and_inherited_limits()
    {
        var routes = Extract().Routes.ToDictionary(r => r.Target);

        Assert.Equal(6, routes.Count);
        var api = routes["http://backend/"];
        Assert.Equal("proxy", api.Module);
        Assert.Equal("backend", api.Upstream);
        Assert.Equal(["api.example"], api.ServerNames);
        Assert.Equal(["443 ssl http2", "[::]:443 ssl"], api.Listen);
        Assert.Equal("location /api/", api.Location);
        Assert.Equal(120_000u, api.TimeoutsMs["proxy_read_timeout"]);
        Assert.Equal(5_000u, api.TimeoutsMs["proxy_connect_timeout"]);
        Assert.Equal("16k", api.Buffers["proxy_buffer_size"]);
        Assert.Equal("/etc/nginx/sites-enabled/default", api.File);
        Assert.Equal(["/var/log/nginx/access.log"], api.AccessLogs);

        var php = routes["unix:/run/php/php8.2-fpm.sock"];
        Assert.Equal("fastcgi", php.Module);
        Assert.Equal(@"location ~ \.php$", php.Location);
        Assert.Equal(["php.example", "www.php.example"], php.ServerNames);
        Assert.Equal(300_000u, php.TimeoutsMs["fastcgi_read_timeout"]);
        Assert.Equal(500u, php.TimeoutsMs["fastcgi_connect_timeout"]);
        Assert.Equal("16 16k", php.Buffers["fastcgi_buffers"]);
        Assert.False(php.TimeoutsMs.ContainsKey("proxy_read_timeout"));
        Assert.Equal(["/var/log/nginx/php.access.log"], php.AccessLogs);

        Assert.Equal("grpc", routes["grpc://127.0.0.1:50051"].Module);
        Assert.Equal("uwsgi", routes["127.0.0.1:3031"].Module);
        Assert.Equal("scgi", routes["localhost:4000"].Module);
        Assert.Empty(routes["localhost:4000"].AccessLogs);
        Assert.Equal("", routes["$target"].Upstream);
    }

    [Fact]
    public void Logs_and_their_formats_are_found_for_zero_configuration()
    {
        var config = Extract();

        Assert.Equal(["/var/log/nginx/error.log", "/var/log/nginx/php.error.log"], config.ErrorLogs.Select(l => l.Path));
        Assert.Equal("warn", config.ErrorLogs[0].FormatOrLevel);
        Assert.Equal(["/var/log/nginx/access.log", "/var/log/nginx/php.access.log"], config.AccessLogs.Select(l => l.Path));
        Assert.Equal(["php.example", "www.php.example"], config.AccessLogs[1].ServerNames);
        var upstreaminfo = config.LogFormats.Single(f => f.Name == "upstreaminfo");
        Assert.StartsWith("$remote_addr - $remote_user [$time_local] \"$request\" $status", upstreaminfo.Format, StringComparison.Ordinal);
        Assert.Equal("json", config.LogFormats.Single(f => f.Name == "json").Escape);

        var snapshot = NginxConfigReader.Build("nginx", new NginxCommandResult(0, Dump, ""));
        var targets = AccessLogTargets.Resolve(new NginxOptions(), snapshot);
        Assert.Equal(2, targets.Count);
        var info = targets.Single(t => t.Format.Name == "upstreaminfo");
        Assert.Equal(["/var/log/nginx/access.log"], info.Patterns);
        Assert.True(info.Format.IndexOf("upstream_status") >= 0);
        Assert.True(targets.Single(t => t.Format.Name == "json").Format.EscapeJson);
        Assert.Equal(64, snapshot.Config.ConfigHash.Length);
    }

    [Fact]
    public void A_failed_minus_T_is_reported_not_thrown()
    {
        var snapshot = NginxConfigReader.Build("/usr/sbin/nginx", new NginxCommandResult(1, "", "nginx: [emerg] unknown directive \"foo\" in /etc/nginx/nginx.conf:3\n"));

        Assert.Contains("unknown directive", snapshot.Config.Error, StringComparison.Ordinal);
        Assert.Equal([AccessLogTargets.DefaultPath], AccessLogTargets.Resolve(new NginxOptions(), null).Single().Patterns);
    }

    [Fact]
    public void Nested_locations_inherit_and_stream_proxies_are_told_apart()
    {
        const string dump = """
            # configuration file /etc/nginx/nginx.conf:
            http {
                proxy_read_timeout 30s;
                server {
                    server_name a;
                    proxy_read_timeout 40s;
                    location /outer {
                        proxy_read_timeout 50s;
                        location /outer/inner { if ($arg_x) { proxy_pass http://127.0.0.1:9000; } }
                    }
                    location /plain { proxy_pass http://127.0.0.1:9001; }
                }
            }
            stream {
                upstream db { server 10.0.0.5:5432 max_conns=100; }
                server { listen 15432; proxy_pass db; proxy_connect_timeout 1s; }
            }
            """;

        var config = ProxyConfigExtractor.Extract(ConfigParser.Parse(dump));
        var routes = config.Routes.ToDictionary(r => r.Target);

        Assert.Equal(50_000u, routes["http://127.0.0.1:9000"].TimeoutsMs["proxy_read_timeout"]);
        Assert.Equal("location /outer/inner", routes["http://127.0.0.1:9000"].Location);
        Assert.Equal(40_000u, routes["http://127.0.0.1:9001"].TimeoutsMs["proxy_read_timeout"]);
        Assert.Equal("stream_proxy", routes["db"].Module);
        Assert.Equal("db", routes["db"].Upstream);
        Assert.Equal(["15432"], routes["db"].Listen);
        Assert.Equal(100u, config.Upstreams.Single().Servers.Single().MaxConns);
    }

    [Theory]
    [InlineData("60", 60_000u)]
    [InlineData("60s", 60_000u)]
    [InlineData("1m30s", 90_000u)]
    [InlineData("500ms", 500u)]
    [InlineData("1h", 3_600_000u)]
    public void Nginx_times_parse(string text, uint ms)
    {
        Assert.True(NginxTime.TryParseMilliseconds(text, out var value));
        Assert.Equal(ms, value);
    }

    private static ProxyConfig Extract() => ProxyConfigExtractor.Extract(ConfigParser.Parse(Dump));
}
