
namespace Fleet502.Diagnosis;

/// <summary>
/// Explains one kind of symptom. Rules are pure: the same symptom and host state give the same
/// verdict, so they are tested without a collector.
/// </summary>
public interface IDiagnosisRule
{
    /// <summary>Stable name, stored with the incident so the same rule later decides on recovery.</summary>
    string Name { get; }

    /// <summary>True when this rule is the one to explain the symptom (rules are asked in order).</summary>
    bool AppliesTo(Symptom symptom);

    /// <summary>
    /// The verdict for a symptom, given the host that owns its target (null when no agent does);
    /// null when the state shows there is nothing to open (the backend is already back).
    /// </summary>
    Verdict? Evaluate(Symptom symptom, HostState? owner);

    /// <summary>
    /// Evidence that the target is healthy again, or null while it is not (or cannot be told yet).
    /// </summary>
    EvidenceItem? ConfirmRecovery(TargetAddress target, HostState? owner, DateTimeOffset now);
}
