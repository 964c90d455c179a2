using System.Net.Sockets;

namespace Fleet502.Agent.Sources.Supervisors;

/// <summary>HttpClient that talks HTTP over a unix socket (Docker Engine API, supervisord XML-RPC).</summary>
public static class UnixSocketHttp
{
    public static HttpClient Create(string socketPath, TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        return new HttpClient(handler) { BaseAddress = new Uri("http://localhost/"), Timeout = timeout };
    }
}
