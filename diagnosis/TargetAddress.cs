using System.Globalization;
using System.Net;
using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis;

/// <summary>
/// An upstream target in canonical text form ("127.0.0.1:3000", "[::1]:3000", "unix:/run/app.sock",
/// "backend") with its parts, so rules can match it against listeners.
/// </summary>
public sealed record TargetAddress(TargetKind Kind, string Text, string? Host, int Port, string? UnixPath)
{
    private const string UnixPrefix = "unix:";

    public IPAddress? Ip => Host is not null && IPAddress.TryParse(Host, out var ip) ? ip : null;

    public bool IsLoopback =>
        string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase) || (Ip is { } ip && IPAddress.IsLoopback(ip));

    /// <summary>True when the address only means something on the host that used it.</summary>
    public bool IsHostLocal => Kind == TargetKind.Unix || IsLoopback;

    /// <summary>
    /// Whether <see cref="FromProto"/> reads a target from it, without parsing anything: the
    /// collector checks every received error with it.
    /// </summary>
    public static bool IsUsable([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] UpstreamTarget? target) =>
        target is not null && (target.IsGroup
            ? !string.IsNullOrWhiteSpace(target.Address)
            : !string.IsNullOrWhiteSpace(target.UnixPath) || !string.IsNullOrWhiteSpace(target.Address)
                || (!string.IsNullOrWhiteSpace(target.Host) && target.Port is > 0 and <= 65535));

    /// <summary>Reads the proto target; null when it names nothing usable.</summary>
    public static TargetAddress? FromProto(UpstreamTarget? target)
    {
        if (!IsUsable(target))
        {
            return null;
        }

        if (target.IsGroup)
        {
            return string.IsNullOrWhiteSpace(target.Address) ? null : Group(target.Address.Trim());
        }

        if (!string.IsNullOrWhiteSpace(target.UnixPath))
        {
            return Unix(target.UnixPath.Trim());
        }

        if (!string.IsNullOrWhiteSpace(target.Address))
        {
            return Parse(target.Address.Trim());
        }

        if (!string.IsNullOrWhiteSpace(target.Host) && target.Port is > 0 and <= 65535)
        {
            var host = target.Host.Trim();
            return Parse(host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[')
                ? $"[{host}]:{target.Port}"
                : $"{host}:{target.Port}");
        }

        return null;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Canonical = new(StringComparer.Ordinal);

    /// <summary>
    /// <c>Parse(written).Text</c>, remembered: access windows name the same upstreams again and again
    /// (bounded, so hostile input cannot grow it without end).
    /// </summary>
    public static string CanonicalText(string written)
    {
        if (Canonical.TryGetValue(written, out var text))
        {
            return text;
        }

        text = Parse(written).Text;
        if (Canonical.Count >= 16_384)
        {
            Canonical.Clear();
        }

        Canonical[written] = text;
        return text;
    }

    /// <summary>Parses the canonical text form; anything that is neither unix: nor host:port is a group name.</summary>
    public static TargetAddress Parse(string text)
    {
        if (text.StartsWith(UnixPrefix, StringComparison.Ordinal))
        {
            return Unix(text[UnixPrefix.Length..]);
        }

        if (IPEndPoint.TryParse(text, out var endPoint) && endPoint.Port > 0 && HasExplicitPort(text))
        {
            var ip = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
            var canonical = new IPEndPoint(ip, endPoint.Port).ToString();
            return new TargetAddress(TargetKind.Tcp, canonical, ip.ToString(), endPoint.Port, null);
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && colon == text.LastIndexOf(':') && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            && port is > 0 and <= 65535)
        {
            var host = text[..colon].ToLowerInvariant();
            return new TargetAddress(TargetKind.Tcp, $"{host}:{port}", host, port, null);
        }

        return Group(text); // a name without a port, or something unparseable: nothing to check
    }

    public override string ToString() => Text;

    private static TargetAddress Unix(string path) => new(TargetKind.Unix, UnixPrefix + path, null, 0, path);

    private static TargetAddress Group(string name) => new(TargetKind.Group, name, null, 0, null);

    // IPEndPoint.TryParse accepts a bare "::1" (port 0) and "1:2" style IPv6; a target needs a port.
    private static bool HasExplicitPort(string text) =>
        text.StartsWith('[') ? text.Contains("]:", StringComparison.Ordinal) : text.Count(c => c == ':') == 1;
}
