using System.Net;

namespace Fleet502.Diagnosis;

/// <summary>Which host owns an upstream target, as seen from the host that used it.</summary>
public static class FleetLookup
{
    /// <summary>
    /// Unix sockets, loopback and the reporter's own addresses are the reporter itself; any other IP
    /// belongs to the host whose Hello listed it. Null when no known host owns it (or it is a group).
    /// </summary>
    public static HostState? OwnerOf(TargetAddress target, HostState? reporter, IEnumerable<HostState> fleet) =>
        OwnerOf(target, reporter, ip => fleet.FirstOrDefault(h => h.Addresses.Contains(ip)));

    /// <summary>As above, with an index from address to host (the collector keeps one for a large fleet).</summary>
    public static HostState? OwnerOf(TargetAddress target, HostState? reporter, Func<IPAddress, HostState?> byAddress)
    {
        if (target.IsHostLocal)
        {
            return reporter;
        }

        if (target.Ip is not { } ip)
        {
            return null;
        }

        ip = ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
        return reporter is not null && reporter.Owns(ip)
            ? reporter
            : byAddress(ip);
    }

    /// <summary>Parses an upstream server as written in nginx ("10.0.0.1:8080", "unix:/run/a.sock", "app:80").</summary>
    public static TargetAddress ServerAddress(string written)
    {
        var text = written.Trim();
        // "10.0.0.1" without a port is port 80 in an upstream block.
        return !text.StartsWith("unix:", StringComparison.Ordinal) && IPAddress.TryParse(text, out var ip)
            ? TargetAddress.Parse(ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]:80" : $"{ip}:80")
            : TargetAddress.Parse(text);
    }
}
