using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis.Rules;

/// <summary>
/// Connect timeouts (110) or "no route to host" (113) toward a host whose own agent has gone silent
/// for longer than <see cref="SilentAfter"/>: the host is down or cut off, not one service. When the
/// agent still talks, the host is up and something drops the connections (a firewall, a full backlog).
/// </summary>
/// <param name="silentAfter">How long without a heartbeat makes an agent offline; default 30 s (three heartbeats).</param>
public sealed class HostDownRule(TimeSpan? silentAfter = null) : IDiagnosisRule
{
    public const string RuleName = "host_down";

    public static readonly TimeSpan DefaultSilentAfter = TimeSpan.FromSeconds(30);

    public TimeSpan SilentAfter { get; } = silentAfter ?? DefaultSilentAfter;

    public string Name => RuleName;

    public bool AppliesTo(Symptom symptom) =>
        symptom.Cause is Cause.ConnectTimeout or Cause.HostUnreachable or Cause.HostDown
        && symptom.Target.Kind == TargetKind.Tcp && !symptom.Target.IsLoopback;

    public Verdict? Evaluate(Symptom symptom, HostState? owner)
    {
        var target = symptom.Target;
        var what = symptom.Cause == Cause.HostUnreachable ? "no route to host" : "connect timeouts";
        var reported = symptom.Cause == Cause.HostDown ? Cause.ConnectTimeout : symptom.Cause;
        if (owner is null)
        {
            return new Verdict(reported, 0.5, $"{ProtoEnumName.ToSnakeCase(reported).Replace('_', ' ')}: {target} does not answer (no agent runs on {target.Host})",
                $"check that {target.Host} is up and reachable from {symptom.Reporter.Hostname} (ping, traceroute, firewall rules)", Tiers.Host,
                [new EvidenceItem(symptom.Time, symptom.Reporter.Hostname, "topology", $"no agent reports address {target.Host}: its liveness cannot be checked")]);
        }

        var heard = owner.LastHeard;
        var silentFor = heard is { } h ? symptom.Time - h : TimeSpan.MaxValue;
        if (silentFor > SilentAfter)
        {
            var since = heard is { } at ? $"since {TimeText.Of(at)}" : "ever since the collector started";
            var evidence = new List<EvidenceItem>
            {
                new(heard ?? symptom.Time, owner.Hostname, "agent",
                    $"{owner.Hostname}: its agent has been silent {since}{(owner.Connected ? "" : "; its stream to the collector is closed")}"),
                new(symptom.Time, symptom.Reporter.Hostname, symptom.Source, $"{symptom.Reporter.Hostname}: {what} toward {target}"),
            };
            return new Verdict(Cause.HostDown, owner.Connected ? 0.8 : 0.95,
                $"host down: {owner.Hostname} ({target.Host}) does not answer and its agent has been silent {since}",
                $"check {owner.Hostname}: power, kernel panic, network (console or cloud provider status); take it out of the upstream group until it is back",
                Tiers.Host, evidence);
        }

        return new Verdict(reported, 0.75,
            $"{ProtoEnumName.ToSnakeCase(reported).Replace('_', ' ')}: {owner.Hostname} is up (its agent was heard at {TimeText.Of(heard!.Value)}) but {target} does not answer {symptom.Reporter.Hostname}",
            reported == Cause.HostUnreachable
                ? $"fix the route from {symptom.Reporter.Hostname} to {target.Host} (ip route, security groups)"
                : $"a firewall on or before {owner.Hostname} drops connections to port {target.Port} from {symptom.Reporter.Hostname}, or the listen backlog is full: check iptables/nft and ss -ltn",
            Tiers.Host,
            [new EvidenceItem(heard.Value, owner.Hostname, "agent", $"{owner.Hostname}: its agent was heard at {TimeText.Of(heard.Value)}, so the host is up")]);
    }

    public EvidenceItem? ConfirmRecovery(TargetAddress target, HostState? owner, DateTimeOffset now)
    {
        if (owner is null)
        {
            return new EvidenceItem(now, "collector", "collector", $"no new errors toward {target}");
        }

        return owner.Connected && owner.LastHeard is { } heard && now - heard <= SilentAfter
            ? new EvidenceItem(heard, owner.Hostname, "agent", $"{owner.Hostname}: its agent is back (heard at {TimeText.Of(heard)})")
            : null;
    }
}
