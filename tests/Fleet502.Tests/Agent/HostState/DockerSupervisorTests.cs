using System.Net.Sockets;
using System.Text;
using Fleet502.Agent.Sources.Supervisors;
using Fleet502.Agent.Sources.Supervisors.Docker;
using Fleet502.Protos.V1;

namespace Fleet502.Tests.Agent.HostState;

/// <summary>A fake Docker Engine: real HTTP over a real unix socket, answering with recorded Engine API JSON.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DockerSupervisorTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly CancellationTokenSource _stop = new();

    [Fact]
    public async Task Containers_state_oom_restarts_health_and_ports_against_a_fake_engine_with_recorded_json()
    {
        var socket = _dir.Combine("docker.sock");
        var requests = new List<string>();
        var server = Serve(socket, requests, new Dictionary<string, string>
        {
            ["/v1.41/containers/json?all=1"] = RecordedOutput.Read("docker-containers.json"),
            ["/v1.41/containers/8dfafdbc3a40b5c1f5e5f1a2e7f0d3b4c6a9e8d7f6b5a4c3d2e1f0a9b8c7d6e5/json"] = RecordedOutput.Read("docker-inspect-shop.json"),
            ["/v1.41/containers/3b7c2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b/json"] = RecordedOutput.Read("docker-inspect-worker.json"),
        });
        using var http = UnixSocketHttp.Create(socket, TimeSpan.FromSeconds(5));
        var docker = new DockerSupervisor(http, socket);

        Assert.True(docker.IsPresent());
        var states = await docker.ReadAsync(default);

        var shop = Assert.Single(states, s => s.Name == "shop");
        Assert.Equal(ServiceStatus.Running, shop.Status);
        Assert.Equal(3u, shop.Restarts);
        Assert.Equal("healthy", shop.Health);
        Assert.Equal(4242, shop.MainPid);
        Assert.Equal("0.0.0.0:8080->3000/tcp", Assert.Single(shop.Ports));
        var worker = Assert.Single(states, s => s.Name == "worker");
        Assert.Equal(ServiceStatus.Exited, worker.Status);
        Assert.True(worker.OomKilled);
        Assert.Equal("oom-kill", worker.Result);
        Assert.Equal(137, worker.ExitCode);
        Assert.Equal(new DateTimeOffset(2024, 3, 12, 9, 35, 0, 250, TimeSpan.Zero), worker.StateSince.ToDateTimeOffset());
        Assert.Contains("GET /v1.41/containers/json?all=1 HTTP/1.1", requests);
        await _stop.CancelAsync();
        await server;
    }

    [Fact]
    public async Task A_socket_nobody_answers_on_is_unavailable_not_a_crash()
    {
        var socket = _dir.Combine("dead.sock");
        using var http = UnixSocketHttp.Create(socket, TimeSpan.FromSeconds(2));

        await Assert.ThrowsAsync<SupervisorUnavailableException>(() => new DockerSupervisor(http, socket).ReadAsync(default));
    }

    // Minimal HTTP/1.1 server: one request per connection, Connection: close.
    private Task Serve(string path, List<string> requests, Dictionary<string, string> routes)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        return Task.Run(async () =>
        {
            using (listener)
            {
                while (!_stop.IsCancellationRequested)
                {
                    Socket client;
                    try
                    {
                        client = await listener.AcceptAsync(_stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    using (client)
                    {
                        var buffer = new byte[8192];
                        var received = 0;
                        while (received < buffer.Length)
                        {
                            var n = await client.ReceiveAsync(buffer.AsMemory(received));
                            received += n;
                            if (n == 0 || Encoding.ASCII.GetString(buffer, 0, received).Contains("\r\n\r\n", StringComparison.Ordinal))
                            {
                                break;
                            }
                        }

                        var requestLine = Encoding.ASCII.GetString(buffer, 0, received).Split("\r\n")[0];
                        lock (requests)
                        {
                            requests.Add(requestLine);
                        }

                        var target = requestLine.Split(' ')[1];
                        var (status, body) = routes.TryGetValue(target, out var json) ? ("200 OK", json) : ("404 Not Found", "{\"message\":\"No such container\"}");
                        var bytes = Encoding.UTF8.GetBytes(body);
                        var head = $"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
                        await client.SendAsync(Encoding.ASCII.GetBytes(head).Concat(bytes).ToArray());
                    }
                }
            }
        });
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
        _dir.Dispose();
    }
}
