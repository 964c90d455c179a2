using System.Net;
using System.Net.Sockets;

namespace Fleet502.Bench;

/// <summary>
/// <c>fleet502-bench hold</c> (internal): listens on loopback TCP v4/v6 and on unix sockets in a
/// directory, prints <c>ready tcp4 tcp6 unix</c>, and exits when its stdin closes (the parent is done
/// or died), so a crashed benchmark leaves nothing behind.
/// </summary>
internal static class SocketHolder
{
    public static int Run(int tcp4, int tcp6, int unix, string directory)
    {
        var sockets = new List<Socket>();
        try
        {
            var opened4 = Listen(sockets, tcp4, () => Tcp(AddressFamily.InterNetwork, IPAddress.Loopback));
            var opened6 = Listen(sockets, tcp6, () => Tcp(AddressFamily.InterNetworkV6, IPAddress.IPv6Loopback));
            Directory.CreateDirectory(directory);
            var n = 0;
            var openedUnix = Listen(sockets, unix, () =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                s.Bind(new UnixDomainSocketEndPoint(Path.Combine(directory, $"s{n++}.sock")));
                s.Listen(1);
                return s;
            });
            Console.Out.WriteLine($"ready {opened4} {opened6} {openedUnix}");
            Console.Out.Flush();
            Console.In.ReadToEnd();
            return 0;
        }
        catch (SocketException e)
        {
            Console.Out.WriteLine($"failed {e.Message}");
            return 1;
        }
        finally
        {
            foreach (var s in sockets)
            {
                s.Dispose();
            }

            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static Socket Tcp(AddressFamily family, IPAddress address)
    {
        var s = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(address, 0));
        s.Listen(1);
        return s;
    }

    // IPv6 may be off on the host: count what opened instead of failing.
    private static int Listen(List<Socket> into, int count, Func<Socket> open)
    {
        var opened = 0;
        for (var i = 0; i < count; i++)
        {
            try
            {
                into.Add(open());
                opened++;
            }
            catch (SocketException) when (opened == 0)
            {
                return 0;
            }
        }

        return opened;
    }
}
