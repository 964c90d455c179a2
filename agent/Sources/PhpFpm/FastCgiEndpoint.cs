using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Fleet502.Agent.Sources.PhpFpm;

/// <summary>A FastCGI address as php-fpm's <c>listen</c> and nginx's <c>fastcgi_pass</c> write it: "unix:/run/php/fpm.sock", "/run/php/fpm.sock", "127.0.0.1:9000", "9000".</summary>
public sealed record FastCgiEndpoint(string Text, EndPoint EndPoint)
{
    public static FastCgiEndpoint Parse(string text)
    {
        var t = text.Trim();
        if (t.StartsWith("unix:", StringComparison.Ordinal) || t.StartsWith('/'))
        {
            var path = t.StartsWith("unix:", StringComparison.Ordinal) ? t[5..] : t;
            return new FastCgiEndpoint("unix:" + path, new UnixDomainSocketEndPoint(path));
        }

        if (int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var portOnly))
        {
            return new FastCgiEndpoint("127.0.0.1:" + t, new IPEndPoint(IPAddress.Loopback, portOnly));
        }

        if (IPEndPoint.TryParse(t, out var ip) && ip.Port > 0)
        {
            return new FastCgiEndpoint(t, ip);
        }

        var colon = t.LastIndexOf(':');
        if (colon > 0 && int.TryParse(t.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            return new FastCgiEndpoint(t, new DnsEndPoint(t[..colon], port));
        }

        throw new FormatException($"not a FastCGI address: \"{text}\" (expected unix:/path or host:port)");
    }

    public override string ToString() => Text;
}
