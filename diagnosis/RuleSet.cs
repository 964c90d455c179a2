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
    /// <remarks>
    /// Specific causes first; rules that only restate nginx's classification last. PortMismatchRule
    /// and CdnOriginRule (the doctor's branch) go before BackendDownRule: a refused port with the
    /// same service listening on another port is a port mismatch, not a backend down.
    /// </remarks>
    public static RuleSet Default { get; } = new(
    [
        new PortMismatchRule(), // before BackendDownRule: it hands a refused port back to it unless the service listens elsewhere
        new BackendDownRule(),
        new SocketMissingRule(),
        new CdnOriginRule(),
        new SocketPermissionRule(),
        new FpmPoolExhaustedRule(),
        new UpstreamCrashRule(),
        new InvalidHeaderRule(),
        new HeaderTooBigRule(),
        new UpstreamTimeoutRule(),
        new NoLiveUpstreamsRule(),
        new HostDownRule(),
        new UnknownCauseRule(),
    ]);

    public IReadOnlyList<IDiagnosisRule> Rules => _rules;

    /// <summary>The same rules with <paramref name="rule"/> in place of the one of the same name (or added before the fallback).</summary>
    public RuleSet With(IDiagnosisRule rule) =>
        _rules.Any(r => r.Name == rule.Name)
            ? new RuleSet(_rules.Select(r => r.Name == rule.Name ? rule : r))
            : new RuleSet(_rules.Append(rule));

    /// <summary>The first rule that applies to the symptom (the fallback when no other does).</summary>
    public IDiagnosisRule For(Symptom symptom) => _rules.First(r => r.AppliesTo(symptom));

    /// <summary>The rule stored with an incident under <paramref name="name"/>; the fallback for a name this build does not know.</summary>
    public IDiagnosisRule Named(string name) => _rules.FirstOrDefault(r => r.Name == name) ?? _rules[^1];
}
