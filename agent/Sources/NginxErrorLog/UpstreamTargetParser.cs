using System.Buffers.Text;
using System.Text;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.NginxErrorLog;

/// <summary>
/// Turns nginx's <c>upstream:</c> field (<c>&lt;schema&gt;&lt;peer&gt;&lt;sep&gt;&lt;uri&gt;</c>) into a
/// canonical target: <c>127.0.0.1:3000</c>, <c>[::1]:5000</c>, <c>unix:/run/app.sock</c>, or a group name.
/// </summary>
public static class UpstreamTargetParser
{
    /// <summary>Parses the field value (without quotes); returns null when it names nothing.</summary>
    public static UpstreamTarget? Parse(ReadOnlySpan<byte> upstream)
    {
        upstream = upstream.Trim((byte)' ');
        if (upstream.IsEmpty)
        {
            return null;
        }

        var target = new UpstreamTarget();
        var schemeEnd = upstream.IndexOf("://"u8);
        if (schemeEnd > 0 && schemeEnd <= 10)
        {
            target.Scheme = Encoding.UTF8.GetString(upstream[..schemeEnd]);
            upstream = upstream[(schemeEnd + 3)..];
            if (upstream.IsEmpty)
            {
                return null;
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

            return WithUnixPath(target, path);
        }

        ReadOnlySpan<byte> host;
        ReadOnlySpan<byte> rest;
        if (upstream[0] == (byte)'[')
        {
            var close = upstream.IndexOf((byte)']');
            if (close < 0)
            {
                return null;
            }

            host = upstream[1..close];
            rest = upstream[(close + 1)..];
        }
        else
        {
            var end = upstream.IndexOfAny("/:?"u8);
            host = end >= 0 ? upstream[..end] : upstream;
            rest = end >= 0 ? upstream[end..] : default;
        }

        if (host.IsEmpty)
        {
            return null;
        }

        target.Host = Encoding.UTF8.GetString(host);
        var bracketed = host.Contains((byte)':');
        if (rest.Length > 1 && rest[0] == (byte)':' && Utf8Parser.TryParse(rest[1..], out ushort port, out _))
        {
            target.Port = port;
            target.Address = bracketed ? $"[{target.Host}]:{port}" : $"{target.Host}:{port}";
        }
        else
        {
            // No port: nginx printed an upstream group name ("no live upstreams", proxy_pass http://backend).
            target.IsGroup = true;
            target.Address = target.Host;
        }

        return target;
    }

    /// <summary>A unix socket target from a path as nginx printed it.</summary>
    public static UpstreamTarget? FromUnixPath(ReadOnlySpan<byte> path) =>
        path.IsEmpty ? null : WithUnixPath(new UpstreamTarget(), path);

    private static UpstreamTarget? WithUnixPath(UpstreamTarget target, ReadOnlySpan<byte> path)
    {
        // "///var/run/x.sock" and "/var/run/x.sock" name the same file.
        while (path.Length > 1 && path[0] == (byte)'/' && path[1] == (byte)'/')
        {
            path = path[1..];
        }

        if (path.IsEmpty)
        {
            return null;
        }

        target.UnixPath = Encoding.UTF8.GetString(path);
        target.Address = "unix:" + target.UnixPath;
        return target;
    }
}
