using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Fleet502.EndToEndTests.Harness;

/// <summary>A minimal healthy HTTP/1.1 backend: answers 200 "ok" to every request.</summary>
public sealed class TinyBackend : IDisposable
{
    private static readonly byte[] Response = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();

    public TinyBackend(int port)
    {
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var buffer = new byte[8192];
                    var received = 0;
                    // Read until the end of the request headers, then answer.
                    while (received < buffer.Length)
                    {
                        var n = await client.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None);
                        if (n == 0)
                        {
                            return;
                        }

                        received += n;
                        if (buffer.AsSpan(0, received).IndexOf("\r\n\r\n"u8) >= 0)
                        {
                            break;
                        }
                    }

                    await client.SendAsync(Response, SocketFlags.None);
                }
            });
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
