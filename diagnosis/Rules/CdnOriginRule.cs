using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis.Rules;

/// <summary>
/// A CDN (Cloudflare) answered with its own error page (52x, or its unbranded 502/504) while the
/// origin it should reach is this host's nginx. No agent runs inside a CDN, so the symptom comes
/// from a probe through the CDN (<c>fleet502-agent doctor --url</c>): its status, <c>server</c> and
/// <c>cf-ray</c> headers and, in the raw text, the answer of the same request sent to the origin
/// directly. Tier cdn when the origin accepts connections: never blame a healthy app.
/// </summary>
public sealed class CdnOriginRule : IDiagnosisRule
{
    public const string RuleName = "cdn_origin";

    public string Name => RuleName;

    public bool AppliesTo(Symptom symptom) => symptom.Cause == Cause.CdnOriginUnreachable && symptom.Target.Kind == TargetKind.Tcp;

    public Verdict? Evaluate(Symptom symptom, HostState? owner)
    {
        var origin = symptom.Target;
        var probe = new EvidenceItem(symptom.Time, symptom.Reporter.Hostname, symptom.Source, symptom.Error.Raw);
        var status = symptom.Error.Status;
        if (owner?.Listeners is not { } listeners || owner.ListenersAt is not { } sampledAt)
        {
            return new Verdict(Cause.CdnOriginUnreachable, 0.5, $"the CDN answers {status} for the origin {origin}, whose state is unknown here",
                FixFor(status), Tiers.Cdn, [probe]);
        }

        if (!ListenerMatch.AcceptsTcp(listeners, origin))
        {
            // The origin itself is down: the CDN only reports it.
            return new Verdict(Cause.BackendDown, 0.9, $"the origin is down: nothing listens on {origin} on {owner.Hostname}, so the CDN answers {status}",
                $"start nginx (or whatever should listen on {origin}) on {owner.Hostname}", Tiers.LoadBalancer,
                [probe, new EvidenceItem(sampledAt, owner.Hostname, "listeners", $"{owner.Hostname}: nothing listens on {origin} (listener snapshot {TimeText.Of(sampledAt)})")]);
        }

        var who = listeners.Listeners.FirstOrDefault(l => ListenerMatch.AcceptsTcp(new ListenerSnapshot { Listeners = { l } }, origin));
        return new Verdict(Cause.CdnOriginUnreachable, 0.85,
            $"the CDN cannot reach the origin: it answers {status} with its own error page while {origin} on {owner.Hostname} accepts connections",
            FixFor(status), Tiers.Cdn,
            [
                probe,
                new EvidenceItem(sampledAt, owner.Hostname, "listeners",
                    $"{owner.Hostname}: {(who is null ? "a process" : ListenerMatch.Describe(who))} listens on {origin} (listener snapshot {TimeText.Of(sampledAt)})"),
            ]);
    }

    public EvidenceItem? ConfirmRecovery(TargetAddress target, HostState? owner, DateTimeOffset now) =>
        new(now, owner?.Hostname ?? "collector", "probe", $"no new CDN error pages for the origin {target}");

    // Cloudflare's meanings (cloudflare-docs, cloudflare-5xx-errors): what to check on the path from the CDN to the origin.
    private static string FixFor(int status) => status switch
    {
        521 => "the CDN's connections to the origin are refused: allow the CDN's IP ranges in the origin's firewall, and make nginx listen on the address and port the CDN uses (80 for Flexible SSL, 443 for Full)",
        522 => "the CDN's connections to the origin time out: allow the CDN's IP ranges (a DROP rule or rate limit), check the origin IP in the CDN's DNS record, and the origin's load",
        523 => "the CDN has no route to the origin: fix the origin's DNS record (A/AAAA) in the CDN and the routes toward it",
        524 => "the origin accepted the CDN's connection but did not answer within the CDN's timeout (120 s): find the slow requests in the origin's access log",
        525 or 526 => "the TLS handshake from the CDN to the origin failed: install a valid certificate for the hostname on the origin's 443, or change the CDN's SSL mode",
        530 => "the CDN cannot resolve the origin's hostname (1xxx error): fix the DNS record or the tunnel",
        _ => "the CDN itself failed to reach the origin: check the CDN's status page and the origin address configured in the CDN; the origin's own logs show no failure",
    };
}
