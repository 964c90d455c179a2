using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Fleet502.EndToEndTests.Harness;

/// <summary>
/// A raw backend on a loopback TCP port or a unix socket that reads each request's headers and then
/// does whatever its current <see cref="Behavior"/> says: answer healthily, close without a word,
/// send broken or huge headers, or stall. The behaviour can change while it runs, so a test can
/// inject a fault and remove it again without moving the backend.
/// </summary>
public sealed class ScriptedBackend : IDisposable
{
    public static readonly byte[] Healthy = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");

    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();

    private ScriptedBackend(Socket listener, Func<Socket, CancellationToken, Task> behavior)
    {
        _listener = listener;
        Behavior = behavior;
        _ = Task.Run(ServeAsync);
    }

    /// <summary>What happens after a request's headers were read; the socket is closed afterwards.</summary>
    public Func<Socket, CancellationToken, Task> Behavior { get; set; }

    /// <summary>How many requests reached the backend.</summary>
    public int Requests => _requests;

    private int _requests;

    public static ScriptedBackend OnTcp(int port, Func<Socket, CancellationToken, Task> behavior)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        socket.Listen(128);
        return new ScriptedBackend(socket, behavior);
    }

    /// <summary>Listens on a unix socket file; the file is created with the process umask, the caller sets its mode.</summary>
    public static ScriptedBackend OnUnix(string path, Func<Socket, CancellationToken, Task> behavior)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen(128);
        return new ScriptedBackend(socket, behavior);
    }

    /// <summary>Answers 200 "ok".</summary>
    public static Func<Socket, CancellationToken, Task> Answer(byte[] response) =>
        async (client, token) => await client.SendAsync(response, SocketFlags.None, token);

    public static Func<Socket, CancellationToken, Task> AnswerOk => Answer(Healthy);

    /// <summary>Reads the request, then closes the connection without answering.</summary>
    public static Func<Socket, CancellationToken, Task> CloseWithoutAnswer => (_, _) => Task.CompletedTask;

    /// <summary>Reads the request, then says nothing for <paramref name="delay"/>, then answers 200.</summary>
    public static Func<Socket, CancellationToken, Task> Stall(TimeSpan delay) =>
        async (client, token) =>
        {
            await Task.Delay(delay, token);
            await client.SendAsync(Healthy, SocketFlags.None, token);
        };

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(Socket client)
    {
        using (client)
        {
            try
            {
                var buffer = new byte[16 * 1024];
                var received = 0;
                while (received < buffer.Length)
                {
                    var n = await client.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, _stop.Token);
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

                Interlocked.Increment(ref _requests);
                await Behavior(client, _stop.Token);
                client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // nginx gave up (timeout) or the backend is stopping.
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        _stop.Dispose();
    }
}
