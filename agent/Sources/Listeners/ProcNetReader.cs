using System.Globalization;
using System.Net;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.Listeners;

/// <summary>
/// Reads listening sockets from the kernel's tables: <c>/proc/net/tcp</c>, <c>/proc/net/tcp6</c>
/// (state 0A = LISTEN) and <c>/proc/net/unix</c> (flag __SO_ACCEPTCON on a bound path).
/// </summary>
public sealed class ProcNetReader(string procRoot = "/proc")
{
    private const string TcpListenState = "0A";
    private const int SoAcceptCon = 0x10000;

    public List<Listener> ReadAll()
    {
        var listeners = new List<Listener>();
        ReadTcp(Path.Combine(procRoot, "net/tcp"), Transport.Tcp4, listeners);
        ReadTcp(Path.Combine(procRoot, "net/tcp6"), Transport.Tcp6, listeners);
        ReadUnix(Path.Combine(procRoot, "net/unix"), listeners);
        return listeners;
    }

    internal static void ReadTcp(string path, Transport transport, List<Listener> into)
    {
        if (!File.Exists(path))
        {
            return;
        }

        foreach (var line in File.ReadLines(path).Skip(1))
        {
            // "  0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 ..."
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 10 || fields[3] != TcpListenState)
            {
                continue;
            }

            var local = fields[1];
            var colon = local.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || !ushort.TryParse(local.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port)
                || !TryParseHexAddress(local.AsSpan(0, colon), out var address))
            {
                continue;
            }

            _ = ulong.TryParse(fields[9], NumberStyles.None, CultureInfo.InvariantCulture, out var inode);
            into.Add(new Listener { Transport = transport, Address = address.ToString(), Port = port, SocketInode = inode });
        }
    }

    internal static void ReadUnix(string path, List<Listener> into)
    {
        if (!File.Exists(path))
        {
            return;
        }

        foreach (var line in File.ReadLines(path).Skip(1))
        {
            // "0000000000000000: 00000002 00000000 00010000 0001 01 23456 /run/php/php8.2-fpm.sock"
            var fields = line.Split(' ', 8, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 8 || !int.TryParse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var flags)
                || (flags & SoAcceptCon) == 0 || fields[7].StartsWith('@'))
            {
                continue;
            }

            _ = ulong.TryParse(fields[6], NumberStyles.None, CultureInfo.InvariantCulture, out var inode);
            into.Add(new Listener { Transport = Transport.Unix, UnixPath = fields[7].Trim(), SocketInode = inode });
        }
    }

    // The kernel prints each 32-bit word of the address in host (little-endian) byte order.
    internal static bool TryParseHexAddress(ReadOnlySpan<char> hex, out IPAddress address)
    {
        address = IPAddress.None;
        if (hex.Length is not (8 or 32))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[hex.Length / 2];
        for (var word = 0; word < hex.Length / 8; word++)
        {
            if (!uint.TryParse(hex.Slice(word * 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            BitConverter.TryWriteBytes(bytes.Slice(word * 4, 4), value);
        }

        address = new IPAddress(bytes);
        return true;
    }
}
