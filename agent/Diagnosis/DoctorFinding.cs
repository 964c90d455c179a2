using Fleet502.Diagnosis;

namespace Fleet502.Agent.Diagnosis;

/// <summary>What the rules made of one failing (or misrouted) upstream.</summary>
/// <param name="Symptom">The folded failures toward the target (or the route check's finding).</param>
/// <param name="Rule">The rule that explained it, as the collector would store it.</param>
/// <param name="Verdict">The cause, evidence and fix; null when the target is healthy again now.</param>
/// <param name="FromLogs">False when no request failed yet: the route check found a target nothing listens on.</param>
/// <param name="Traffic">Access-log traffic toward the target, when the log_format has $upstream_addr.</param>
public sealed record DoctorFinding(Symptom Symptom, string Rule, Verdict? Verdict, bool FromLogs, AccessTraffic? Traffic)
{
    public bool IsProblem => Verdict is not null;

    public string CauseName => ProtoEnumName.ToSnakeCase(Verdict?.Cause ?? Symptom.Cause);
}
