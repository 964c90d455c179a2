using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis.Rules;

/// <summary>
/// A failure nginx's message does not classify (cause <c>unknown</c>). Still an incident, and honest:
/// it says what was checked and found fine, so nobody mistakes it for a diagnosis.
/// </summary>
public sealed class UnknownCauseRule : IDiagnosisRule
{
    public const string RuleName = "unknown";

    public string Name => RuleName;

    public bool AppliesTo(Symptom symptom) => symptom.Cause == Cause.Unknown;

    public Verdict? Evaluate(Symptom symptom, HostState? owner)
    {
        var target = symptom.Target;
        var evidence = new List<EvidenceItem>
        {
            new(symptom.Time, symptom.Reporter.Hostname, symptom.Source,
                $"{symptom.Reporter.Hostname}: nginx logged a failure toward {target} that matches no known cause"),
        };
        if (owner?.Listeners is { } listeners && owner.ListenersAt is { } at && target.Kind != TargetKind.Group)
        {
            var listens = target.Kind == TargetKind.Unix ? ListenerMatch.AcceptsUnix(listeners, target) : ListenerMatch.AcceptsTcp(listeners, target);
            evidence.Add(new(at, owner.Hostname, "listeners", $"{owner.Hostname}: {target} {(listens ? "listens" : "has no listener")} (listener snapshot {TimeText.Of(at)})"));
        }

        if (owner is not null)
        {
            var down = owner.Services.Values.Where(s => ServiceOwner.IsDown(s.Value.Status)).Select(s => s.Value.Name).ToList();
            evidence.Add(new(symptom.Time, owner.Hostname, "supervisors", down.Count == 0
                ? $"{owner.Hostname}: every known service is running"
                : $"{owner.Hostname}: not running: {string.Join(", ", down)}"));
        }

        return new Verdict(Cause.Unknown, 0.3, $"unknown: failures toward {target} that no rule explains",
            "read the raw lines below; if they name a cause Fleet502 does not know, report them so a rule can be added",
            Tiers.Unknown, evidence);
    }

    public EvidenceItem? ConfirmRecovery(TargetAddress target, HostState? owner, DateTimeOffset now) =>
        new(now, owner?.Hostname ?? "collector", "collector", $"no new errors toward {target}");
}
