using System.Buffers;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using Fleet502.Agent.Sources.Processes;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.Listeners;

/// <summary>
/// Reads listening sockets from the kernel's tables: <c>/proc/net/tcp</c>, <c>/proc/net/tcp6</c>
/// (state 0A = LISTEN) and <c>/proc/net/unix</c> (flag __SO_ACCEPTCON on a bound path). The tables
/// are read into pooled buffers and parsed as bytes; strings (addresses, paths) are made once per
/// distinct value and reused while the socket lives.
/// </summary>
public sealed class ProcNetReader(string procRoot = "/proc")
{
    private const int SoAcceptCon = 0x10000;
    private readonly string _tcp = Path.Combine(procRoot, "net/tcp");
    private readonly string _tcp6 = Path.Combine(procRoot, "net/tcp6");
    private readonly string _unix = Path.Combine(procRoot, "net/unix");
    private readonly Dictionary<ulong, PathEntry> _paths = [];
    private readonly Dictionary<(Transport, UInt128), string> _addresses = [];
    private byte[] _tcpBuffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private byte[] _unixBuffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _pass;

    /// <summary>Every listening socket, as table rows (unix paths stay valid until the next call).</summary>
    public void Read(List<RawListener> into)
    {
        into.Clear();
        _pass++;
        var length = ProcFs.ReadAll(_tcp, ref _tcpBuffer);
        ParseTcp(_tcpBuffer.AsSpan(0, Math.Max(length, 0)), Transport.Tcp4, into);
        length = ProcFs.ReadAll(_tcp6, ref _tcpBuffer);
        ParseTcp(_tcpBuffer.AsSpan(0, Math.Max(length, 0)), Transport.Tcp6, into);
        length = ProcFs.ReadAll(_unix, ref _unixBuffer);
        ParseUnix(_unixBuffer.AsSpan(0, Math.Max(length, 0)), into);

        // Forget paths of sockets that no longer listen (the table is the whole truth).
        if (_paths.Count > into.Count)
        {
            foreach (var (inode, entry) in _paths)
            {
                if (entry.Pass != _pass)
                {
                    _paths.Remove(inode);
                }
            }
        }
    }

    /// <summary>The unix path of a row from the last <see cref="Read"/>, as a string made once per socket.</summary>
    public string UnixPath(in RawListener row) => _paths.TryGetValue(row.Inode, out var e) ? e.Text : "";

    /// <summary>"127.0.0.1", "::" ...: formatted once per distinct address.</summary>
    public string AddressText(in RawListener row)
    {
        if (row.Transport == Transport.Unix)
        {
            return "";
        }

        if (!_addresses.TryGetValue((row.Transport, row.Address), out var text))
        {
            Span<byte> bytes = stackalloc byte[16];
            MemoryMarshal.Write(bytes, row.Address);
            text = new IPAddress(row.Transport == Transport.Tcp4 ? bytes[..4] : bytes).ToString();
            _addresses[(row.Transport, row.Address)] = text;
        }

        return text;
    }

    /// <summary>The rows as protobuf listeners (no owner yet).</summary>
    public List<Listener> ReadAll()
    {
        var rows = new List<RawListener>();
        Read(rows);
        var listeners = new List<Listener>(rows.Count);
        foreach (var row in rows)
        {
            listeners.Add(ToListener(row));
        }

        return listeners;
    }

    public Listener ToListener(in RawListener row) => new()
    {
        Transport = row.Transport,
        Address = AddressText(row),
        Port = row.Port,
        UnixPath = UnixPath(row),
        SocketInode = row.Inode,
    };

    // "  0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 ..."
    private static void ParseTcp(ReadOnlySpan<byte> table, Transport transport, List<RawListener> into)
    {
        var first = true;
        foreach (var range in table.Split((byte)'\n'))
        {
            var line = table[range];
            if (first || line.IsEmpty)
            {
                first = false;
                continue;
            }

            var at = 0;
            ProcFs.NextField(line, ref at);
            var local = ProcFs.NextField(line, ref at);
            ProcFs.NextField(line, ref at);
            var state = ProcFs.NextField(line, ref at);
            if (!state.SequenceEqual("0A"u8))
            {
                continue;
            }

            for (var skip = 0; skip < 5; skip++)
            {
                ProcFs.NextField(line, ref at);
            }

            var inodeText = ProcFs.NextField(line, ref at);
            var colon = local.IndexOf((byte)':');
            if (colon < 0 || !ProcFs.TryParseHex(local[(colon + 1)..], out var port) || port > ushort.MaxValue
                || !TryParseHexAddress(local[..colon], out var address)
                || !System.Buffers.Text.Utf8Parser.TryParse(inodeText, out ulong inode, out var used) || used != inodeText.Length)
            {
                continue;
            }

            into.Add(new RawListener(transport, address, (ushort)port, inode, 0, 0));
        }
    }

    // "0000000000000000: 00000002 00000000 00010000 0001 01 23456 /run/php/php8.2-fpm.sock"
    private void ParseUnix(ReadOnlySpan<byte> table, List<RawListener> into)
    {
        var first = true;
        foreach (var range in table.Split((byte)'\n'))
        {
            var line = table[range];
            var lineStart = range.Start.Value;
            if (first || line.IsEmpty)
            {
                first = false;
                continue;
            }

            var at = 0;
            for (var skip = 0; skip < 3; skip++)
            {
                ProcFs.NextField(line, ref at);
            }

            var flags = ProcFs.NextField(line, ref at);
            if (!ProcFs.TryParseHex(flags, out var flagBits) || (flagBits & SoAcceptCon) == 0)
            {
                continue;
            }

            ProcFs.NextField(line, ref at);
            ProcFs.NextField(line, ref at);
            var inodeText = ProcFs.NextField(line, ref at);
            if (at + 1 >= line.Length || line[at + 1] == (byte)'@'
                || !System.Buffers.Text.Utf8Parser.TryParse(inodeText, out ulong inode, out var used) || used != inodeText.Length)
            {
                continue;
            }

            var path = line[(at + 1)..].TrimEnd((byte)' ');
            if (path.IsEmpty)
            {
                continue;
            }

            // A bound path never changes while the socket lives; check the bytes in case the inode was reused.
            if (!_paths.TryGetValue(inode, out var entry) || !entry.Bytes.AsSpan().SequenceEqual(path))
            {
                entry = new PathEntry(path.ToArray(), Encoding.UTF8.GetString(path));
                _paths[inode] = entry;
            }

            entry.Pass = _pass;
            into.Add(new RawListener(Transport.Unix, 0, 0, inode, lineStart + at + 1, path.Length));
        }
    }

    /// <summary>The NUL-terminated UTF-8 path of a unix row into <paramref name="into"/>; its length, or -1 if too long.</summary>
    public int UnixPathBytes(in RawListener row, Span<byte> into)
    {
        if (row.PathLength + 1 > into.Length)
        {
            return -1;
        }

        _unixBuffer.AsSpan(row.PathOffset, row.PathLength).CopyTo(into);
        into[row.PathLength] = 0;
        return row.PathLength;
    }

    // The kernel prints each 32-bit word of the address in host (little-endian) byte order.
    internal static bool TryParseHexAddress(ReadOnlySpan<byte> hex, out UInt128 address)
    {
        address = 0;
        if (hex.Length is not (8 or 32))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        for (var word = 0; word < hex.Length / 8; word++)
        {
            if (!ProcFs.TryParseHex(hex.Slice(word * 8, 8), out var value))
            {
                return false;
            }

            BitConverter.TryWriteBytes(bytes.Slice(word * 4, 4), (uint)value);
        }

        address = MemoryMarshal.Read<UInt128>(bytes);
        return true;
    }

    private sealed class PathEntry(byte[] bytes, string text)
    {
        public byte[] Bytes { get; } = bytes;

        public string Text { get; } = text;

        public int Pass { get; set; }
    }
}
