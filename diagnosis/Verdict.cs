using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis;

/// <summary>What a rule concluded from one symptom and the target's state.</summary>
/// <param name="Cause">The root cause.</param>
/// <param name="Confidence">0..1: lower when state that would confirm it is missing.</param>
/// <param name="Headline">What is wrong, in one clause, without counts.</param>
/// <param name="Fix">What to do about it.</param>
/// <param name="Tier">Which tier failed: app, load_balancer, cdn, unknown.</param>
/// <param name="Evidence">What the rule found in the hosts' state.</param>
public sealed record Verdict(
    Cause Cause,
    double Confidence,
    string Headline,
    string Fix,
    string Tier,
    IReadOnlyList<EvidenceItem> Evidence);
