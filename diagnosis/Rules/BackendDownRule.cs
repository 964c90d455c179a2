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
            return new Verdict(Cause.BackendDown, 0.95, $"backend down: nothing listens on {target} on {owner.Hostname}", fix, Tiers.App, evidence);
        }

        var headline = $"backend down: nothing listens on {target} on {owner.Hostname}";
        if (Why(owner, target, symptom.Time, evidence) is { } why)
        {
            headline = why.Headline;
            fix = why.Fix;
        }

        return new Verdict(Cause.BackendDown, 0.95, headline, fix, Tiers.App, evidence);
    }

    /// <summary>
    /// Why nothing listens: the service that owns (or owned) the target and its state, or the bare
    /// process that listened there before and its OOM kill. Adds the evidence; null when unknown.
    /// </summary>
    internal static (string Headline, string Fix)? Why(HostState owner, TargetAddress target, DateTimeOffset around, List<EvidenceItem> evidence)
    {
        if (ServiceOwner.Find(owner, target) is { } service)
        {
            var why = ServiceWhy.Of(owner, service, around);
            evidence.Add(new(service.ListenerSeenAt ?? service.Service.At, owner.Hostname, "listeners", $"{owner.Hostname}: {service.How}"));
            evidence.Add(new(why.At ?? service.Service.At, owner.Hostname, Supervisor(service.Service.Value),
                $"{owner.Hostname}: {service.Name} {why.Phrase}"));
            if (why.OomKill is { } kill)
            {
                evidence.Add(new(kill.At, owner.Hostname, "kernel", $"{owner.Hostname}: {Kernel(kill.Value)}"));
            }

            if (!why.Down)
            {
                return ($"backend down: {service.Name} on {owner.Hostname} is running but nothing listens on {target}",
                    $"check the port {service.Name} listens on and its logs, or fix proxy_pass on the load balancer to the port it uses");
            }

            var guess = service.Certain ? "" : " (probably)";
            return ($"backend down: {service.Name} on {owner.Hostname} {why.Phrase}{guess}; nothing listens on {target} since",
                why.Fix);
        }

        var past = owner.PastListeners.LastOrDefault(p => ListenerMatch.Accepts(p.Value, target));
        if (past is null)
        {
            return null;
        }

        evidence.Add(new(past.At, owner.Hostname, "listeners",
            $"{owner.Hostname}: {ListenerMatch.Describe(past.Value)} listened on {target} until {TimeText.Of(past.At)}"));
        if (ServiceWhy.FindOomKill(owner, past.Value, around) is { } oom)
        {
            evidence.Add(new(oom.At, owner.Hostname, "kernel", $"{owner.Hostname}: {Kernel(oom.Value)}"));
            return ($"backend down: {ListenerMatch.Describe(past.Value)} on {owner.Hostname} was OOM-killed at {TimeText.Of(oom.At)}; nothing listens on {target} since",
                $"find the leak in {past.Value.Process} or add memory, and run it under a supervisor that restarts it");
        }

        return ($"backend down: {ListenerMatch.Describe(past.Value)} on {owner.Hostname} stopped listening on {target} after {TimeText.Of(past.At)}",
            $"start {past.Value.Process} again on {owner.Hostname} (and run it under a supervisor that restarts it)");
    }

    internal static string Supervisor(ServiceState service) => ProtoEnumName.ToSnakeCase(service.Supervisor);

    internal static string Kernel(OomKill kill) =>
        string.IsNullOrWhiteSpace(kill.Raw)
            ? $"Out of memory: Killed process {kill.Pid} ({kill.Process})"
            : kill.Raw.Trim();

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
