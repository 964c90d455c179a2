using System.Text;

namespace Fleet502.EndToEndTests.Harness;

/// <summary>
/// A CDN edge emulated on loopback: a real nginx proxying to the origin, whose own failures are
/// answered with Cloudflare's error page, status (52x), <c>server: cloudflare</c> and <c>cf-ray</c>
/// headers. Stock nginx cannot rename its Server header, so the error page comes from a scripted
/// responder (the one fake: Cloudflare cannot run here) that nginx relays with proxy_pass_header Server.
/// </summary>
public sealed class CloudflareLikeFront : IDisposable
{
    public const string Ray = "8f1c2a3b4c5d6e7f-LHR";

    private readonly TempDir _dir;
    private readonly ScriptedBackend _errorPage;
    private readonly int _errorPagePort;
    private ChildProcess? _nginx;

    private CloudflareLikeFront(TempDir dir, ScriptedBackend errorPage, int errorPagePort, int port)
    {
        _dir = dir;
        _errorPage = errorPage;
        _errorPagePort = errorPagePort;
        Port = port;
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/";

    public string ErrorLog => _dir.File("error.log");

    /// <summary>Starts the edge proxying to <paramref name="origin"/> (host:port); failures become Cloudflare's <paramref name="status"/> page.</summary>
    public static async Task<CloudflareLikeFront> StartAsync(string origin, int status = 521)
    {
        var dir = new TempDir("cdn-front");
        var pagePort = Ports.Free();
        var body = $"""
            <!DOCTYPE html><html><head><title>127.0.0.1 | {status}: Web server is down</title>
            <link rel="stylesheet" href="/cdn-cgi/styles/main.css"></head><body><div id="cf-wrapper"><div id="cf-error-details">
            <h1>Web server is down</h1><span>Error code {status}</span>
            <p>Cloudflare Ray ID: {Ray[..16]} &bull; Performance &amp; security by Cloudflare</p></div></div></body></html>
            """;
        var response = Encoding.UTF8.GetBytes(
            $"HTTP/1.1 {status} Web Server Is Down\r\nServer: cloudflare\r\nCF-RAY: {Ray}\r\nContent-Type: text/html; charset=UTF-8\r\n" +
            $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}");
        var page = ScriptedBackend.OnTcp(pagePort, ScriptedBackend.Answer(response));
        var front = new CloudflareLikeFront(dir, page, pagePort, Ports.Free());
        try
        {
            await File.WriteAllTextAsync(dir.File("nginx.conf"), front.Config(origin));
            front._nginx = new ChildProcess("cdn-front nginx", RepoPaths.Nginx, ["-p", dir.Path, "-c", dir.File("nginx.conf"), "-e", front.ErrorLog, "-g", "daemon off;"]);
            await SupervisedPhpServer.WaitForPortAsync(front.Port, front._nginx);
            return front;
        }
        catch
        {
            front.Dispose();
            throw;
        }
    }

    /// <summary>Points the edge at another origin address (the CDN's origin record fixed) and reloads.</summary>
    public async Task RepointAsync(string origin)
    {
        await File.WriteAllTextAsync(_dir.File("nginx.conf"), Config(origin));
        using var reload = new ChildProcess("cdn-front reload", RepoPaths.Nginx, ["-p", _dir.Path, "-c", _dir.File("nginx.conf"), "-e", ErrorLog, "-s", "reload"]);
        await reload.WaitForExitAsync(TimeSpan.FromSeconds(15));
        await Task.Delay(500); // old workers finish, new ones use the new origin
    }

    private string Config(string origin)
    {
        var user = Environment.UserName == "root" ? "user root;" : "";
        return $$"""
            {{user}}
            worker_processes 1;
            error_log {{ErrorLog}} error;
            pid {{_dir.File("nginx.pid")}};
            events { worker_connections 64; }
            http {
                access_log {{_dir.File("access.log")}} combined;
                client_body_temp_path {{_dir.File("client_body")}};
                proxy_temp_path {{_dir.File("proxy")}};
                fastcgi_temp_path {{_dir.File("fastcgi")}};
                uwsgi_temp_path {{_dir.File("uwsgi")}};
                scgi_temp_path {{_dir.File("scgi")}};
                server {
                    listen 127.0.0.1:{{Port}};
                    location / {
                        proxy_pass http://{{origin}};
                        proxy_set_header Host fm.local;
                        error_page 502 504 = @cloudflare;
                    }
                    location @cloudflare {
                        proxy_pass http://127.0.0.1:{{_errorPagePort}};
                        proxy_pass_header Server;
                    }
                }
            }
            """;
    }

    public void Dispose()
    {
        _nginx?.Dispose();
        _errorPage.Dispose();
        _dir.Dispose();
    }
}
