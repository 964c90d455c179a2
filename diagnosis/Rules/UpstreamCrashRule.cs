using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis.Rules;

/// <summary>
/// "upstream prematurely closed connection" / "reset by peer": the backend dropped the connection
/// mid-response. Confirmed when the process behind the target restarted, exited or was OOM-killed
/// within <see cref="Window"/> of the error: a crash, not a deliberate close.
/// </summary>
public sealed class UpstreamCrashRule : IDiagnosisRule
{
    public const string RuleName = "upstream_crash";

    /// <summary>How close to the error a restart or OOM kill must be to explain it.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(2);

    public string Name => RuleName;

    public bool AppliesTo(Symptom symptom) => symptom.Cause == Cause.UpstreamCrash && symptom.Target.Kind != TargetKind.Group;

    public Verdict? Evaluate(Symptom symptom, HostState? owner)
    {
        var target = symptom.Target;
        var where = owner is null ? target.Text : $"{target} on {owner.Hostname}";
        var generic = $"read the backend's log around {TimeText.Of(symptom.Time)}: it closed the connection before a full response " +
            "(a crash, a worker timeout shorter than nginx's, or keepalive_timeout shorter than nginx's upstream keepalive)";
        if (owner is null)
        {
            return new Verdict(Cause.UpstreamCrash, 0.5, $"upstream crash: {where} closed connections mid-response", generic, Tiers.App,
                [new EvidenceItem(symptom.Time, symptom.Reporter.Hostname, "topology", $"no agent reports {target.Host}: its restarts cannot be checked")]);
        }

        var evidence = new List<EvidenceItem>();
        var service = ServiceOwner.Find(owner, target);
        var listener = service?.Listener ?? owner.PastListeners.LastOrDefault(p => ListenerMatch.Accepts(p.Value, target))?.Value
            ?? (owner.Listeners is { } snapshot ? ListenerMatch.Find(snapshot, target) : null);
        Timed<OomKill>? kill = service is not null
            ? ServiceWhy.FindOomKill(owner, service.Service.Value, listener, symptom.Time)
            : listener is not null ? ServiceWhy.FindOomKill(owner, listener, symptom.Time) : null;
        if (kill is not null && (symptom.Time - kill.At).Duration() > Window)
        {
            kill = null;
        }

        var who = service?.Name ?? (listener is not null ? ListenerMatch.Describe(listener) : null);
        if (kill is not null)
        {
            evidence.Add(new(kill.At, owner.Hostname, "kernel", $"{owner.Hostname}: {BackendDownRule.Kernel(kill.Value)}"));
            return new Verdict(Cause.UpstreamCrash, 0.95,
                $"upstream crash: {who ?? kill.Value.Process} on {owner.Hostname} was OOM-killed at {TimeText.Of(kill.At)}, mid-response",
                service is not null ? ServiceWhy.Of(owner, service, symptom.Time).Fix : $"find the leak in {kill.Value.Process} or give it more memory",
                Tiers.App, evidence);
        }

        if (service is not null)
        {
            var s = service.Service.Value;
            var since = s.StateSince?.ToDateTimeOffset() ?? service.Service.At;
            var restarted = (symptom.Time - since).Duration() <= Window
                && (s.Restarts > 0 || s.Status != ServiceStatus.Running || s.ExitCode != 0 || s.ExitSignal != 0);
            if (restarted)
            {
                var why = ServiceWhy.Of(owner, service, symptom.Time);
                evidence.Add(new(since, owner.Hostname, BackendDownRule.Supervisor(s),
                    $"{owner.Hostname}: {s.Name} {(s.Status == ServiceStatus.Running ? $"restarted at {TimeText.Of(since)} ({s.Restarts} restarts)" : why.Phrase)}"));
                return new Verdict(Cause.UpstreamCrash, 0.9,
                    $"upstream crash: {s.Name} on {owner.Hostname} {(s.Status == ServiceStatus.Running ? "restarted" : "went down")} at {TimeText.Of(since)}, mid-response",
                    why.Down ? why.Fix : $"read why {s.Name} exited ({s.Restarts} restarts): {generic}", Tiers.App, evidence);
            }

            evidence.Add(new(service.Service.At, owner.Hostname, BackendDownRule.Supervisor(s),
                $"{owner.Hostname}: {s.Name} is {ProtoEnumName.ToSnakeCase(s.Status)} with {s.Restarts} restarts; none near {TimeText.Of(symptom.Time)}"));
        }
        else
        {
            evidence.Add(new(symptom.Time, owner.Hostname, "supervisors",
                $"{owner.Hostname}: no supervised service is known for {target}, so no restart or OOM kill was found near {TimeText.Of(symptom.Time)}"));
        }

        return new Verdict(Cause.UpstreamCrash, 0.6, $"upstream crash: {(who is null ? where : $"{who} on {owner.Hostname}")} closed connections mid-response",
            generic, Tiers.App, evidence);
    }

    public EvidenceItem? ConfirmRecovery(TargetAddress target, HostState? owner, DateTimeOffset now) =>
        new(now, owner?.Hostname ?? "collector", "collector", $"no new errors toward {target}");
}
