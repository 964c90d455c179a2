using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis.Rules;

/// <summary>
/// "connect() failed (111: Connection refused)" toward host:port. Confirmed when the owning host's
/// newest listener snapshot has nothing on that address and port; no incident when a listener is
/// there in a snapshot taken after the error (the backend has come back).
/// </summary>
public sealed class BackendDownRule : IDiagnosisRule
{
    public const string RuleName = "backend_down";

    public string Name => RuleName;

    public bool AppliesTo(Symptom symptom) =>
        symptom.Cause == Cause.BackendDown && symptom.Target.Kind == TargetKind.Tcp;

    public Verdict? Evaluate(Symptom symptom, HostState? owner)
    {
        var target = symptom.Target;
        if (owner is null)
        {
            return Make(0.5, $"backend down: {target} refuses connections (no agent runs on that host)",
                $"start the service that should listen on {target}, or fix the proxy_pass address",
                new EvidenceItem(symptom.Time, symptom.Reporter.Hostname, "topology",
                    $"no agent reports address {target.Host}: its listeners cannot be checked"));
        }

        var fix = $"start the service that should listen on {target} on {owner.Hostname}, or fix proxy_pass to the address it listens on";
        if (owner.Listeners is not { } listeners || owner.ListenersAt is not { } sampledAt)
        {
            return Make(0.6, $"backend down: {target} on {owner.Hostname} refuses connections", fix,
                new EvidenceItem(symptom.Time, owner.Hostname, "listeners",
                    $"{owner.Hostname}: no listener snapshot received yet, so nothing confirms that {target} is down"));
        }

        if (ListenerMatch.AcceptsTcp(listeners, target))
        {
            return sampledAt >= symptom.Time
                ? null
                : Make(0.5, $"backend down: {target} on {owner.Hostname} refuses connections", fix,
                    new EvidenceItem(sampledAt, owner.Hostname, "listeners",
                        $"{owner.Hostname}: {target} was listening at {TimeText.Of(sampledAt)}, before the error at {TimeText.Of(symptom.Time)}; it may have stopped since"));
        }

        var evidence = new List<EvidenceItem>
        {
            new(sampledAt, owner.Hostname, "listeners",
                $"{owner.Hostname}: nothing listens on {target} (listener snapshot {TimeText.Of(sampledAt)})"),
        };
        var elsewhere = ListenerMatch.OtherTcpOnPort(listeners, target).ToList();
        foreach (var listener in elsewhere)
        {
            evidence.Add(new(sampledAt, owner.Hostname, "listeners",
                $"{owner.Hostname}: port {target.Port} is bound to {listener.Address} only, by {ListenerMatch.Describe(listener)}"));
        }

        if (elsewhere.Count > 0)
        {
            fix = $"make the service on port {target.Port} of {owner.Hostname} listen on {target.Host} (or 0.0.0.0), or point proxy_pass at {elsewhere[0].Address}:{target.Port}";
        }

        return new Verdict(Cause.BackendDown, 0.95, $"backend down: nothing listens on {target} on {owner.Hostname}", fix, Tiers.App, evidence);
    }

    public EvidenceItem? ConfirmRecovery(TargetAddress target, HostState? owner, DateTimeOffset now)
    {
        if (owner?.Listeners is not { } listeners || owner.ListenersAt is not { } sampledAt)
        {
            // No state to check: the quiet period alone has to do, and the evidence says so.
            return new EvidenceItem(now, owner?.Hostname ?? "collector", "listeners",
                $"no new errors toward {target}; no listener snapshot to confirm it is back");
        }

        return ListenerMatch.AcceptsTcp(listeners, target)
            ? new EvidenceItem(sampledAt, owner.Hostname, "listeners",
                $"{owner.Hostname}: {target} listens again (listener snapshot {TimeText.Of(sampledAt)})")
            : null;
    }

    private static Verdict Make(double confidence, string headline, string fix, EvidenceItem evidence) =>
        new(Cause.BackendDown, confidence, headline, fix, Tiers.App, [evidence]);
}
