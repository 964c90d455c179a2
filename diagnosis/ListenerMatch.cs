using System.Net;
using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis;

/// <summary>Does a listener snapshot accept connections to a target?</summary>
public static class ListenerMatch
{
    /// <summary>
    /// A TCP listener on the target's port whose address is the target's, or a wildcard
    /// (0.0.0.0 for IPv4 targets, :: for any), or any loopback address when the target is "localhost".
    /// </summary>
    public static bool AcceptsTcp(ListenerSnapshot snapshot, TargetAddress target) =>
        snapshot.Listeners.Any(l => Accepts(l, target));

    /// <summary>One listener accepts the target (TCP: port and address; unix: the same path).</summary>
    public static bool Accepts(Listener listener, TargetAddress target) => target.Kind switch
    {
        TargetKind.Tcp => IsTcp(listener) && listener.Port == target.Port && AddressMatches(listener.Address, target),
        TargetKind.Unix => listener.Transport == Transport.Unix && string.Equals(listener.UnixPath, target.UnixPath, StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>The listener that accepts the target in the snapshot, if any.</summary>
    public static Listener? Find(ListenerSnapshot snapshot, TargetAddress target) =>
        snapshot.Listeners.FirstOrDefault(l => Accepts(l, target));

    /// <summary>A unix listener bound to exactly the target's path (or the path's state says one listens).</summary>
    public static bool AcceptsUnix(ListenerSnapshot snapshot, TargetAddress target) =>
        snapshot.Listeners.Any(l => l.Transport == Transport.Unix && string.Equals(l.UnixPath, target.UnixPath, StringComparison.Ordinal))
        || PathState(snapshot, target) is { HasListener: true };

    /// <summary>What the agent saw at the socket's path (exists, is a socket, ...), when it watched it.</summary>
    public static UnixSocketPath? PathState(ListenerSnapshot snapshot, TargetAddress target) =>
        snapshot.UnixPaths.FirstOrDefault(p => string.Equals(p.Path, target.UnixPath, StringComparison.Ordinal));

    /// <summary>TCP listeners on the target's port that do not accept it (bound to another address).</summary>
    public static IEnumerable<Listener> OtherTcpOnPort(ListenerSnapshot snapshot, TargetAddress target) =>
        snapshot.Listeners.Where(l => IsTcp(l) && l.Port == target.Port && !AddressMatches(l.Address, target));

    /// <summary>Who listens, for evidence: "node (pid 812, app.service)".</summary>
    public static string Describe(Listener listener)
    {
        var parts = new List<string>();
        if (listener.Pid > 0)
        {
            parts.Add($"pid {listener.Pid}");
        }

        var service = string.IsNullOrEmpty(listener.Service) ? listener.SystemdUnit : listener.Service;
        if (!string.IsNullOrEmpty(service))
        {
            parts.Add(service);
        }

        var name = string.IsNullOrEmpty(listener.Process) ? "a process" : listener.Process;
        return parts.Count == 0 ? name : $"{name} ({string.Join(", ", parts)})";
    }

    private static bool IsTcp(Listener listener) => listener.Transport is Transport.Tcp4 or Transport.Tcp6;

    private static bool AddressMatches(string listenerAddress, TargetAddress target)
    {
        if (!IPAddress.TryParse(listenerAddress, out var bound))
        {
            return false;
        }

        if (bound.Equals(IPAddress.IPv6Any))
        {
            return true; // dual-stack wildcard: also takes IPv4 unless IPV6_V6ONLY, which the snapshot cannot show
        }

        if (target.Ip is not { } ip)
        {
            return target.IsLoopback && IPAddress.IsLoopback(bound); // "localhost:3000"
        }

        if (bound.Equals(IPAddress.Any))
        {
            return ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        }

        return bound.Equals(ip);
    }
}
