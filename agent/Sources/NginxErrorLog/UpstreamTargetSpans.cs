using System.Buffers.Text;

namespace Fleet502.Agent.Sources.NginxErrorLog;

/// <summary>
/// nginx's <c>upstream:</c> field split into the parts of an <see cref="Protos.V1.UpstreamTarget"/>, as
/// slices of the line: the coalescer writes them to the wire without building strings.
/// </summary>
public ref struct UpstreamTargetSpans
{
    public ReadOnlySpan<byte> Scheme;
    /// <summary>Host name or address without brackets; the group name for a group.</summary>
    public ReadOnlySpan<byte> Host;
    /// <summary>The socket path, leading <c>//</c> collapsed (unix targets only).</summary>
    public ReadOnlySpan<byte> UnixPath;
    public ushort Port;
    public bool IsGroup;

    public readonly bool IsUnix => !UnixPath.IsEmpty;

    /// <summary>Bytes <see cref="FormatAddress"/> writes.</summary>
    public readonly int AddressLength =>
        IsUnix ? 5 + UnixPath.Length
        : IsGroup ? Host.Length
        : (Host.Contains((byte)':') ? 2 : 0) + Host.Length + 1 + (Port < 10 ? 1 : Port < 100 ? 2 : Port < 1000 ? 3 : Port < 10000 ? 4 : 5);

    /// <summary>The canonical address: <c>127.0.0.1:3000</c>, <c>[::1]:5000</c>, <c>unix:/run/app.sock</c>, or a group name.</summary>
    public readonly int FormatAddress(Span<byte> into)
    {
        if (IsUnix)
        {
            "unix:"u8.CopyTo(into);
            UnixPath.CopyTo(into[5..]);
            return 5 + UnixPath.Length;
        }

        if (IsGroup)
        {
            Host.CopyTo(into);
            return Host.Length;
        }

        var n = 0;
        var bracketed = Host.Contains((byte)':');
        if (bracketed)
        {
            into[n++] = (byte)'[';
        }

        Host.CopyTo(into[n..]);
        n += Host.Length;
        if (bracketed)
        {
            into[n++] = (byte)']';
        }

        into[n++] = (byte)':';
        Utf8Formatter.TryFormat(Port, into[n..], out var digits);
        return n + digits;
    }

    /// <summary>Parses the field value (without quotes); false when it names nothing.</summary>
    public static bool TryParse(ReadOnlySpan<byte> upstream, out UpstreamTargetSpans target)
    {
        target = default;
        upstream = upstream.Trim((byte)' ');
        if (upstream.IsEmpty)
        {
            return false;
        }

        var schemeEnd = upstream.IndexOf("://"u8);
        if (schemeEnd > 0 && schemeEnd <= 10)
        {
            target.Scheme = upstream[..schemeEnd];
            upstream = upstream[(schemeEnd + 3)..];
            if (upstream.IsEmpty)
            {
                return false;
            }
        }

        if (upstream.StartsWith("unix:"u8))
        {
            // "unix:/run/php.sock:" on connect errors, no trailing colon on timeouts, "unix:///x" as written.
            var path = upstream[5..];
            var colon = path.IndexOf((byte)':');
            if (colon >= 0)
            {
                path = path[..colon];
            }

            target.UnixPath = CollapseSlashes(path);
            return !target.UnixPath.IsEmpty;
        }

        ReadOnlySpan<byte> rest;
        if (upstream[0] == (byte)'[')
        {
            var close = upstream.IndexOf((byte)']');
            if (close < 0)
            {
                return false;
            }

            target.Host = upstream[1..close];
            rest = upstream[(close + 1)..];
        }
        else
        {
            var end = upstream.IndexOfAny("/:?"u8);
            target.Host = end >= 0 ? upstream[..end] : upstream;
            rest = end >= 0 ? upstream[end..] : default;
        }

        if (target.Host.IsEmpty)
        {
            return false;
        }

        if (rest.Length > 1 && rest[0] == (byte)':' && Utf8Parser.TryParse(rest[1..], out ushort port, out _))
        {
            target.Port = port;
        }
        else
        {
            // No port: nginx printed an upstream group name ("no live upstreams", proxy_pass http://backend).
            target.IsGroup = true;
        }

        return true;
    }

    /// <summary>"///var/run/x.sock" and "/var/run/x.sock" name the same file.</summary>
    public static ReadOnlySpan<byte> CollapseSlashes(ReadOnlySpan<byte> path)
    {
        while (path.Length > 1 && path[0] == (byte)'/' && path[1] == (byte)'/')
        {
            path = path[1..];
        }

        return path;
    }
}
