using System.Globalization;
using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis.Rules;

/// <summary>
/// "connect() failed (111: Connection refused)" toward host:A while nothing listens on A on the
/// owning host, but the service the route is meant for listens there on another port B: the proxy's
/// config is wrong, not the app (the guide's "verify the port matches"). Asked before
/// <see cref="BackendDownRule"/>, and hands the symptom to it whenever the state does not point at
/// one such listener, so a stopped backend is still called backend_down.
/// </summary>
/// <remarks>
/// Which listener is "the service that should be there" is a heuristic, and the confidence says so:
/// a listener (not nginx, not a system daemon, not the target of any other route of the reporter's
/// nginx, not one of nginx's own listen ports) that accepts the target's address and
/// <list type="bullet">
/// <item>whose service, unit, process or command line contains a name the route carries (its
/// upstream block, a word of its location or server_name): 0.85 when exactly one port matches;</item>
/// <item>or is the only such listener on the host, its owner known, and a route of the reporter's
/// nginx sends to the refused address: 0.7.</item>
/// </list>
/// </remarks>
public sealed class PortMismatchRule : IDiagnosisRule
{
    public const string RuleName = "port_mismatch";

    private const double NamedConfidence = 0.85;
    private const double OnlyListenerConfidence = 0.7;

    // Daemons that listen on most hosts and are never the app behind a proxy_pass.
    private static readonly HashSet<string> SystemProcesses = new(StringComparer.OrdinalIgnoreCase)
    {
        "nginx", "sshd", "systemd", "systemd-resolve", "systemd-resolved", "dnsmasq", "chronyd", "cupsd", "rpcbind",
        "master", "exim4", "sendmail", "containerd", "dockerd", "docker-proxy", "fleet502-agent", "fleet502-collector",
        "supervisord", "avahi-daemon", "named", "unbound", "ntpd",
        "redis-server", "postgres", "mysqld", "mariadbd", "memcached", "mongod", "beam.smp", "epmd",
    };

    // Words of server names and locations that name no service.
    private static readonly HashSet<string> NoHint = new(StringComparer.OrdinalIgnoreCase)
    {
        "www", "com", "net", "org", "io", "local", "localhost", "localdomain", "example", "internal", "location", "http", "https",
        "app", "api", "static", "index", "php", "html", "default",
    };

    private readonly BackendDownRule _down = new();

    public string Name => RuleName;

    public bool AppliesTo(Symptom symptom) =>
        symptom.Cause == Cause.BackendDown && symptom.Target.Kind == TargetKind.Tcp;

    public Verdict? Evaluate(Symptom symptom, HostState? owner)
    {
        var target = symptom.Target;
        if (owner?.Listeners is not { } listeners || owner.ListenersAt is not { } sampledAt
            || ListenerMatch.AcceptsTcp(listeners, target) || ListenerMatch.OtherTcpOnPort(listeners, target).Any())
        {
            return _down.Evaluate(symptom, owner); // no state, something there, or bound elsewhere: backend_down says it best
        }

        var config = symptom.Reporter.ProxyConfig?.Value;
        var routes = config is null ? [] : RoutesTo(config, target).ToList();
        if (FindService(symptom, owner, listeners, config, routes) is not { } found)
        {
            return _down.Evaluate(symptom, owner);
        }

        var (listener, confidence, why) = found;
        var right = $"{target.Host}:{listener.Port}";
        var evidence = new List<EvidenceItem>
        {
            new(sampledAt, owner.Hostname, "listeners", $"{owner.Hostname}: nothing listens on {target} (listener snapshot {TimeText.Of(sampledAt)})"),
            new(sampledAt, owner.Hostname, "listeners",
                $"{owner.Hostname}: {ListenerMatch.Describe(listener)} listens on {listener.Address}:{listener.Port}, {why}"),
        };
        foreach (var route in routes.Take(3))
        {
            evidence.Add(new(symptom.Reporter.ProxyConfig!.At, symptom.Reporter.Hostname, "nginx -T",
                $"{symptom.Reporter.Hostname}: {Where(route)}{route.Module}_pass {route.Target}{(route.Location.Length > 0 ? $" ({route.Location})" : "")}"));
        }

        var fix = FixFor(config, routes, target, right);
        return new Verdict(Cause.PortMismatch, confidence,
            $"port mismatch: nginx sends to {target}, but the service listens on port {listener.Port} of {owner.Hostname}",
            fix, Tiers.LoadBalancer, evidence);
    }

    public EvidenceItem? ConfirmRecovery(TargetAddress target, HostState? owner, DateTimeOffset now)
    {
        if (_down.ConfirmRecovery(target, owner, now) is { } back)
        {
            return back; // something listens on A now (or there is no state to check)
        }

        // The config was fixed: the host's own nginx (the reporter for a host-local target) no longer sends to A.
        return target.IsHostLocal && owner?.ProxyConfig is { } config && !RoutesTo(config.Value, target).Any()
            ? new EvidenceItem(config.At, owner.Hostname, "nginx -T",
                $"{owner.Hostname}: nginx no longer proxies to {target} (config read {TimeText.Of(config.At)})")
            : null;
    }

    /// <summary>Routes of <paramref name="config"/> that send to <paramref name="target"/>, directly or through an upstream block.</summary>
    public static IEnumerable<ProxyRoute> RoutesTo(ProxyConfig config, TargetAddress target)
    {
        var groups = config.Upstreams
            .Where(u => u.Servers.Any(s => SameAddress(s.Address, target)))
            .Select(u => u.Name)
            .ToHashSet(StringComparer.Ordinal);
        return config.Routes.Where(r => SameAddress(AddressOf(r.Target), target) || (r.Upstream.Length > 0 && groups.Contains(r.Upstream)));
    }

    private static (Listener Listener, double Confidence, string Why)? FindService(
        Symptom symptom, HostState owner, ListenerSnapshot listeners, ProxyConfig? config, List<ProxyRoute> routes)
    {
        var target = symptom.Target;
        var taken = TakenPorts(config, target);
        var candidates = listeners.Listeners
            .Where(l => l.Transport is Transport.Tcp4 or Transport.Tcp6 && l.Port != target.Port && !taken.Contains((int)l.Port))
            .Where(l => l.Pid > 0) // an owner the agent could not see is no evidence of anything
            .Where(l => !SystemProcesses.Contains(l.Process) && !l.CommandLine.StartsWith("nginx", StringComparison.Ordinal))
            .Where(l => ListenerMatch.AcceptsTcp(new ListenerSnapshot { Listeners = { l } }, target with { Port = (int)l.Port }))
            .GroupBy(l => l.Port)
            .Select(g => g.First())
            .ToList();
        if (candidates.Count == 0)
        {
            return null;
        }

        var hints = Hints(symptom, config, routes);
        var named = candidates
            .Select(l => (Listener: l, Hint: hints.FirstOrDefault(h => Names(l, h))))
            .Where(p => p.Hint is not null)
            .ToList();
        if (named.Count == 1)
        {
            return (named[0].Listener, NamedConfidence, $"named like the route's \"{named[0].Hint}\"; no other route proxies to it");
        }

        // Only when nginx's config is known to route there: a log line alone does not say which service it meant.
        if (named.Count == 0 && candidates.Count == 1 && candidates[0].Port >= 1024 && routes.Count > 0)
        {
            return (candidates[0], OnlyListenerConfidence, $"the only application listener on {owner.Hostname} that no other route proxies to");
        }

        return null; // several plausible services: guessing one would be worse than backend_down
    }

    private static bool Names(Listener listener, string hint) =>
        listener.Service.Contains(hint, StringComparison.OrdinalIgnoreCase)
        || listener.SystemdUnit.Contains(hint, StringComparison.OrdinalIgnoreCase)
        || listener.Process.Contains(hint, StringComparison.OrdinalIgnoreCase)
        || listener.CommandLine.Contains(hint, StringComparison.OrdinalIgnoreCase);

    // Names the route carries: its upstream block, the words of its location and server names, the error's server.
    private static List<string> Hints(Symptom symptom, ProxyConfig? config, List<ProxyRoute> routes)
    {
        var words = new List<string>();
        foreach (var route in routes)
        {
            words.Add(route.Upstream);
            words.AddRange(Words(route.Location.Replace("location", "", StringComparison.Ordinal)));
            foreach (var name in route.ServerNames)
            {
                words.AddRange(Words(name));
            }
        }

        if (config is not null)
        {
            words.AddRange(config.Upstreams.Where(u => u.Servers.Any(s => SameAddress(s.Address, symptom.Target))).Select(u => u.Name));
        }

        words.AddRange(Words(symptom.Error.Server));
        return words
            .Where(w => w.Length >= 3 && !NoHint.Contains(w) && !w.All(char.IsAsciiDigit))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
    }

    private static IEnumerable<string> Words(string text) =>
        text.Split(['/', '.', ' ', '~', '*', '^', '$', '\\', '(', ')', '-', '_', '=', '?', '|', '+', '[', ']', ':'], StringSplitOptions.RemoveEmptyEntries);

    // Ports that belong to someone else: other routes' targets, other upstream servers, nginx's own listen ports.
    private static HashSet<int> TakenPorts(ProxyConfig? config, TargetAddress target)
    {
        var ports = new HashSet<int>();
        if (config is null)
        {
            return ports;
        }

        foreach (var address in config.Routes.Select(r => AddressOf(r.Target)).Concat(config.Upstreams.SelectMany(u => u.Servers).Select(s => s.Address)))
        {
            if (address is not null && TargetAddress.Parse(address) is { Kind: TargetKind.Tcp } other && other.Port != target.Port)
            {
                ports.Add(other.Port);
            }
        }

        foreach (var listen in config.Routes.SelectMany(r => r.Listen))
        {
            var first = listen.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
            var colon = first.LastIndexOf(':');
            if (int.TryParse(colon >= 0 ? first[(colon + 1)..] : first, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                ports.Add(port);
            }
        }

        return ports;
    }

    // "http://127.0.0.1:3000/api/" -> "127.0.0.1:3000"; "unix:..." and "$var" name no TCP address.
    private static string? AddressOf(string passTarget)
    {
        var text = passTarget;
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            text = text[(scheme + 3)..];
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            text = text[..slash];
        }

        return text.Length == 0 || text.Contains('$', StringComparison.Ordinal) || text.StartsWith("unix:", StringComparison.Ordinal) ? null : text;
    }

    private static bool SameAddress(string? written, TargetAddress target)
    {
        if (written is null)
        {
            return false;
        }

        var parsed = TargetAddress.Parse(written.Split(' ')[0]);
        return parsed.Kind == TargetKind.Tcp && parsed.Port == target.Port
            && (string.Equals(parsed.Host, target.Host, StringComparison.OrdinalIgnoreCase) || (parsed.IsLoopback && target.IsLoopback));
    }

    private static string Where(ProxyRoute route) =>
        route.File.Length > 0 ? string.Create(CultureInfo.InvariantCulture, $"{route.File}:{route.Line}: ") : "";

    private static string FixFor(ProxyConfig? config, List<ProxyRoute> routes, TargetAddress target, string right)
    {
        if (routes.FirstOrDefault(r => r.Upstream.Length == 0) is { } direct)
        {
            var scheme = direct.Target.Contains("://", StringComparison.Ordinal) ? direct.Target[..(direct.Target.IndexOf("://", StringComparison.Ordinal) + 3)] : "";
            return $"{direct.Module}_pass {scheme}{right}" + (direct.File.Length > 0 ? string.Create(CultureInfo.InvariantCulture, $" in {direct.File}:{direct.Line}") : "")
                + " (it says " + direct.Target + "), then nginx -s reload";
        }

        if (config?.Upstreams.FirstOrDefault(u => u.Servers.Any(s => SameAddress(s.Address, target))) is { } group)
        {
            return $"server {right} in upstream {group.Name}" + (group.File.Length > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({group.File}:{group.Line})") : "")
                + $" (it says {target}), then nginx -s reload";
        }

        return $"proxy_pass http://{right} (nginx sends to {target}), then nginx -s reload";
    }
}
