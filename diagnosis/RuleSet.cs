using Fleet502.Diagnosis.Rules;

namespace Fleet502.Diagnosis;

/// <summary>
/// The rules in the order they are asked, with <see cref="ReportedCauseRule"/> always last: it
/// applies to every symptom, so nothing is ever left unexplained. The collector and the agent's
/// doctor both diagnose through this one list.
/// </summary>
public sealed class RuleSet
{
    private readonly IReadOnlyList<IDiagnosisRule> _rules;

    public RuleSet(IEnumerable<IDiagnosisRule> rules) =>
        _rules = [.. rules.Where(r => r is not ReportedCauseRule), new ReportedCauseRule()];

    /// <summary>Every built-in rule, in order.</summary>
    public static RuleSet Default { get; } = new(
    [
        new BackendDownRule(),
        new SocketMissingRule(),
    ]);

    public IReadOnlyList<IDiagnosisRule> Rules => _rules;

    /// <summary>The first rule that applies to the symptom (the fallback when no other does).</summary>
    public IDiagnosisRule For(Symptom symptom) => _rules.First(r => r.AppliesTo(symptom));

    /// <summary>The rule stored with an incident under <paramref name="name"/>; the fallback for a name this build does not know.</summary>
    public IDiagnosisRule Named(string name) => _rules.FirstOrDefault(r => r.Name == name) ?? _rules[^1];
}
