using System.Globalization;
using Fleet502.Diagnosis;
using Fleet502.Diagnosis.Rules;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet502.Agent.Diagnosis;

/// <summary>
/// Runs the collector's rules (<see cref="RuleSet"/>) over one host's scan: every folded failure of
/// the logs, plus a route check (a target nginx proxies to that nothing on this host accepts, even
/// before a request fails there). This host owns loopback, unix and its own addresses; other
/// addresses belong to hosts doctor cannot see, and the rules say so.
/// </summary>
public static class DoctorDiagnosis
{
    public static DoctorReport Diagnose(LocalScan scan, TimeSpan since, RuleSet? rules = null)
    {
        ArgumentNullException.ThrowIfNull(scan);
        rules ??= RuleSet.Default;
        var host = scan.Host;
        var findings = new List<DoctorFinding>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in scan.Errors)
        {
            if (Symptom.From(host, e) is not { } symptom)
            {
                continue;
            }

            seen.Add(symptom.Target.Text);
            findings.Add(Explain(rules, symptom, host, fromLogs: true, scan.Traffic));
        }

        foreach (var symptom in RouteChecks(host, seen))
        {
            var finding = Explain(rules, symptom, host, fromLogs: false, scan.Traffic);
            if (finding.IsProblem)
            {
                findings.Add(finding);
            }
        }

        var ordered = findings
            .OrderByDescending(f => f.IsProblem)
            .ThenByDescending(f => f.Verdict?.Confidence ?? 0)
            .ThenByDescending(f => f.Symptom.Count)
            .ToList();
        return new DoctorReport(host.Hostname, since, scan.Checks, ordered, scan.Traffic);
    }

    private static DoctorFinding Explain(RuleSet rules, Symptom symptom, HostState host, bool fromLogs, IReadOnlyCollection<AccessTraffic> traffic)
    {
        var owner = Owner(symptom.Target, host);
        var rule = rules.For(symptom);
        var verdict = rule.Evaluate(symptom, owner);
        var seen = traffic.FirstOrDefault(t => t.Upstream.Length > 0 && TargetAddress.Parse(t.Upstream).Text == symptom.Target.Text);
        return new DoctorFinding(symptom, rule.Name, verdict, fromLogs, seen);
    }

    // The collector's Topology.ResolveOwner for a fleet of one.
    private static HostState? Owner(TargetAddress target, HostState host) =>
        target.IsHostLocal || (target.Ip is { } ip && host.Owns(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip)) ? host : null;

    // Targets of this host's nginx that nothing here accepts, as the symptoms nginx would log for them.
    private static IEnumerable<Symptom> RouteChecks(HostState host, HashSet<string> seen)
    {
        if (host.ProxyConfig is not { } config || host.Listeners is not { } listeners || host.ListenersAt is not { } at)
        {
            yield break;
        }

        foreach (var (route, written) in Targets(config.Value))
        {
            var target = TargetAddress.Parse(written);
            if (target.Kind == TargetKind.Group || !seen.Add(target.Text) || Owner(target, host) is null)
            {
                continue;
            }

            var accepts = target.Kind == TargetKind.Unix ? ListenerMatch.AcceptsUnix(listeners, target) : ListenerMatch.AcceptsTcp(listeners, target);
            if (accepts)
            {
                continue;
            }

            var cause = target.Kind == TargetKind.Unix ? Cause.SocketMissing : Cause.BackendDown;
            var where = route.File.Length > 0 ? string.Create(CultureInfo.InvariantCulture, $"{route.File}:{route.Line}: ") : "";
            var error = new UpstreamError
            {
                Cause = cause,
                Phase = Phase.Connect,
                Status = 502,
                Count = 0,
                Target = target.Kind == TargetKind.Unix
                    ? new UpstreamTarget { Scheme = route.Module, Address = target.Text, UnixPath = target.UnixPath }
                    : new UpstreamTarget { Scheme = route.Module, Address = target.Text, Host = target.Host, Port = (uint)target.Port },
                Server = route.ServerNames.FirstOrDefault() ?? "",
                FirstTime = Timestamp.FromDateTimeOffset(at),
                LastTime = Timestamp.FromDateTimeOffset(at),
                Raw = $"{where}{route.Module}_pass {route.Target}: nothing accepts connections on {target} (route check: no request has failed there in the logs read)",
            };
            yield return new Symptom(host, at, target, error, "nginx -T");
        }
    }

    private static IEnumerable<(ProxyRoute Route, string Target)> Targets(ProxyConfig config)
    {
        foreach (var route in config.Routes)
        {
            if (route.Upstream.Length > 0)
            {
                foreach (var server in config.Upstreams.Where(u => u.Name == route.Upstream).SelectMany(u => u.Servers).Where(s => !s.Down && !s.Backup))
                {
                    yield return (route, server.Address.Split(' ')[0]);
                }
            }
            else if (Address(route.Target) is { } address)
            {
                yield return (route, address);
            }
        }
    }

    // "http://127.0.0.1:3000/api" -> "127.0.0.1:3000"; "unix:/run/php.sock" and "http://unix:/run/a.sock:/" -> "unix:/run/...".
    private static string? Address(string written)
    {
        var text = written;
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            text = text[(scheme + 3)..];
        }

        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            var colon = text.IndexOf(':', 5);
            return colon > 0 ? text[..colon] : text;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        text = slash >= 0 ? text[..slash] : text;
        return text.Length == 0 || text.Contains('$', StringComparison.Ordinal) || !text.Contains(':', StringComparison.Ordinal) ? null : text;
    }
}
