namespace Fleet502.EndToEndTests.Harness;

/// <summary>
/// The real nginx from Debian's package, run as a plain foreground process with its own prefix,
/// config and logs in a temp dir, listening on a free loopback port.
/// </summary>
public sealed class NginxServer : IDisposable
{
    private readonly ChildProcess _process;

    private NginxServer(TempDir dir, int port, ChildProcess process)
    {
        Dir = dir;
        Port = port;
        _process = process;
    }

    public TempDir Dir { get; }

    public int Port { get; }

    public string ErrorLog => Dir.File("error.log");

    public string AccessLog => Dir.File("access.log");

    public string ConfigPath => Dir.File("nginx.conf");

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>Starts nginx with <paramref name="serverBody"/> as the body of its one server block.</summary>
    public static async Task<NginxServer> StartAsync(TempDir dir, string serverBody, string httpExtra = "")
    {
        var port = Ports.Free();
        // Root runs workers as nobody by default; "user root" keeps temp-dir access simple in CI.
        var user = Environment.UserName == "root" ? "user root;" : "";
        var conf = $$"""
            {{user}}
            worker_processes 1;
            error_log {{dir.File("error.log")}} error;
            pid {{dir.File("nginx.pid")}};
            events { worker_connections 256; }
            http {
                access_log {{dir.File("access.log")}} combined;
                client_body_temp_path {{dir.File("client_body")}};
                proxy_temp_path {{dir.File("proxy")}};
                fastcgi_temp_path {{dir.File("fastcgi")}};
                uwsgi_temp_path {{dir.File("uwsgi")}};
                scgi_temp_path {{dir.File("scgi")}};
                {{httpExtra}}
                server {
                    listen 127.0.0.1:{{port}};
                    server_name e2e.local;
                    {{serverBody}}
                }
            }
            """;
        var confPath = dir.File("nginx.conf");
        await File.WriteAllTextAsync(confPath, conf);
        var process = new ChildProcess("nginx", RepoPaths.Nginx, ["-p", dir.Path, "-c", confPath, "-e", dir.File("error.log"), "-g", "daemon off;"]);
        var server = new NginxServer(dir, port, process);
        await server.WaitUntilListeningAsync();
        return server;
    }

    private async Task WaitUntilListeningAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                break;
            }

            try
            {
                using var socket = new System.Net.Sockets.TcpClient();
                await socket.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new InvalidOperationException("nginx did not start\n" + _process.Output + "\n" + (File.Exists(ErrorLog) ? File.ReadAllText(ErrorLog) : ""));
    }

    public void Dispose() => _process.Dispose();
}
