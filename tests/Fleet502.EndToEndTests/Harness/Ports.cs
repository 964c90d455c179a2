using System.Net;
using System.Net.Sockets;

namespace Fleet502.EndToEndTests.Harness;

public static class Ports
{
    /// <summary>A loopback port nothing listens on (the kernel picked it and it was released).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
