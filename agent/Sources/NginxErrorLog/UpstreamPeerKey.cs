namespace Fleet502.Agent.Sources.NginxErrorLog;

/// <summary>
/// The peer an error names, as a slice of the line (no allocation): <c>10.0.0.1:80</c>, <c>[::1]:5000</c>,
/// a unix socket path (leading <c>//</c> collapsed), or a group name. The URI after the peer is dropped,
/// so errors for different request paths toward one peer share a key.
/// </summary>
public static class UpstreamPeerKey
{
    public static ReadOnlySpan<byte> Of(in NginxErrorLine line, out bool unix)
    {
        unix = false;
        var upstream = line.Upstream;
        if (upstream.IsEmpty)
        {
            // Truncated lines may lack the context; "connect() to unix:/x.sock failed" still names the peer.
            var msg = line.Message;
            if (!msg.StartsWith("connect() to "u8))
            {
                return default;
            }

            upstream = msg["connect() to "u8.Length..];
            var failed = upstream.IndexOf(" failed"u8);
            upstream = failed >= 0 ? upstream[..failed] : upstream;
        }

        var scheme = upstream.IndexOf("://"u8);
        if (scheme > 0 && scheme <= 10)
        {
            upstream = upstream[(scheme + 3)..];
        }

        if (upstream.StartsWith("unix:"u8))
        {
            unix = true;
            var path = upstream[5..];
            var colon = path.IndexOf((byte)':');
            path = colon >= 0 ? path[..colon] : path;
            while (path.Length > 1 && path[0] == (byte)'/' && path[1] == (byte)'/')
            {
                path = path[1..];
            }

            return path;
        }

        if (!upstream.IsEmpty && upstream[0] == (byte)'[')
        {
            var close = upstream.IndexOf((byte)']');
            if (close < 0)
            {
                return upstream;
            }

            var after = upstream[(close + 1)..];
            var end = after.IndexOfAny((byte)'/', (byte)'?');
            return upstream[..(close + 1 + (end >= 0 ? end : after.Length))];
        }

        var stop = upstream.IndexOfAny((byte)'/', (byte)'?');
        return stop >= 0 ? upstream[..stop] : upstream;
    }
}
