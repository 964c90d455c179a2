using System.Globalization;
using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis.Rules;

/// <summary>
/// "no live upstreams while connecting to upstream": nginx has marked every server of the group
/// failed. The group's servers come from the reporter's nginx config; each one is checked on the
/// host that owns it (listeners, and why its service is down).
/// </summary>
public sealed class NoLiveUpstreamsRule : IDiagnosisRule
{
    public const string RuleName = "no_live_upstreams";

    public string Name => RuleName;

    public bool AppliesTo(Symptom symptom) => symptom.Cause == Cause.NoLiveUpstreams;

    public Verdict? Evaluate(Symptom symptom, HostState? owner)
    {
        var lb = symptom.Reporter;
        var group = symptom.Target.Text;
        if (lb.ProxyConfig is not { } config || ProxyRoutes.Group(config.Value, group) is not { } block)
        {
            return new Verdict(Cause.NoLiveUpstreams, 0.6, $"no live upstreams: every server of {group} failed on {lb.Hostname}",
                $"fix the servers of upstream {group}, then check their max_fails/fail_timeout",
                Tiers.LoadBalancer,
                [new EvidenceItem(symptom.Time, lb.Hostname, "nginx -T", $"{lb.Hostname}: upstream {group} is not in the nginx config the agent read, so its servers were not checked")]);
        }

        var evidence = new List<EvidenceItem>
        {
            new(config.At, lb.Hostname, "nginx -T",
                $"{lb.Hostname}: upstream {group} ({block.File}:{block.Line}) has {block.Servers.Count} servers: {string.Join(", ", block.Servers.Select(s => s.Address))}"),
        };
        var states = new List<string>();
        var down = 0;
        string? firstFix = null;
        foreach (var server in block.Servers)
        {
            var address = FleetLookup.ServerAddress(server.Address);
            if (server.Down)
            {
                states.Add($"{address} marked down");
                down++;
                continue;
            }

            var host = FleetLookup.OwnerOf(address, lb, symptom.Fleet);
            if (host?.Listeners is not { } listeners || host.ListenersAt is not { } at)
            {
                states.Add($"{address} unknown");
                evidence.Add(new(symptom.Time, lb.Hostname, "topology", $"{address}: no agent reports its listeners"));
                continue;
            }

            var accepted = address.Kind == TargetKind.Unix ? ListenerMatch.AcceptsUnix(listeners, address) : ListenerMatch.AcceptsTcp(listeners, address);
            if (accepted)
            {
                states.Add($"{address} listening");
                evidence.Add(new(at, host.Hostname, "listeners", $"{host.Hostname}: {address} listens (listener snapshot {TimeText.Of(at)})"));
                continue;
            }

            down++;
            evidence.Add(new(at, host.Hostname, "listeners", $"{host.Hostname}: nothing listens on {address} (listener snapshot {TimeText.Of(at)})"));
            var why = address.Kind == TargetKind.Tcp ? BackendDownRule.Why(host, address, symptom.Time, evidence) : null;
            states.Add(why is { } w ? $"{address} down: {w.Headline["backend down: ".Length..]}" : $"{address} down: nothing listens");
            firstFix ??= why?.Fix ?? $"start the service that should listen on {address} on {host.Hostname}";
        }

        var summary = string.Join("; ", states);
        var limits = block.Servers.Count > 0
            ? string.Create(CultureInfo.InvariantCulture, $"max_fails {block.Servers[0].MaxFails}, fail_timeout {block.Servers[0].FailTimeoutS}s")
            : "";
        if (down == block.Servers.Count && down > 0)
        {
            return new Verdict(Cause.NoLiveUpstreams, 0.95,
                $"no live upstreams: all {block.Servers.Count} servers of {group} are down ({summary})",
                firstFix is null ? $"bring back the servers of upstream {group}" : $"bring back the servers of upstream {group}: {firstFix}",
                Tiers.LoadBalancer, evidence);
        }

        return new Verdict(Cause.NoLiveUpstreams, 0.7,
            $"no live upstreams: {lb.Hostname} marked every server of {group} failed ({summary})",
            $"nginx gave up on servers that {(down > 0 ? "partly " : "")}listen: the failures were transient (timeouts, resets); find them in the error log, and consider {limits} of upstream {group}",
            Tiers.LoadBalancer, evidence);
    }

    public EvidenceItem? ConfirmRecovery(TargetAddress target, HostState? owner, DateTimeOffset now) =>
        new(now, owner?.Hostname ?? "collector", "collector", $"no new errors toward {target}");
}
