namespace Fleet502.Agent.Diagnosis;

/// <summary>The outcome of <c>fleet502-agent doctor</c>: checks, findings, and the exit code they mean.</summary>
/// <param name="Host">This host's name.</param>
/// <param name="Since">How far back the logs were read.</param>
/// <param name="Checks">Every check in the order it ran.</param>
/// <param name="Findings">Problems first, then targets that failed but are healthy now.</param>
/// <param name="Traffic">Recent access-log traffic per upstream.</param>
public sealed record DoctorReport(
    string Host,
    TimeSpan Since,
    IReadOnlyList<DoctorCheck> Checks,
    IReadOnlyList<DoctorFinding> Findings,
    IReadOnlyCollection<AccessTraffic> Traffic)
{
    public const int Healthy = 0;
    public const int ProblemsFound = 1;
    public const int CouldNotCheck = 2;

    public IEnumerable<DoctorFinding> Problems => Findings.Where(f => f.IsProblem);

    /// <summary>
    /// 1 when anything is wrong; else 0 when at least one error log could be read (the one check a
    /// "healthy" rests on); else 2: nothing wrong was found, but nothing was really checked either.
    /// </summary>
    public int ExitCode =>
        Problems.Any() ? ProblemsFound
        : Checks.Any(c => c.Essential && c.Status == CheckStatus.Ok) ? Healthy
        : CouldNotCheck;

    /// <summary>The one-line verdict.</summary>
    public string Verdict
    {
        get
        {
            var problems = Problems.ToList();
            switch (ExitCode)
            {
                case ProblemsFound:
                    var first = problems[0];
                    var more = problems.Count > 1 ? $" (and {problems.Count - 1} more)" : "";
                    return $"{problems.Count} problem{(problems.Count == 1 ? "" : "s")}: {first.CauseName} toward {first.Symptom.Target}{more}. Fix: {first.Verdict!.Fix}";
                case Healthy:
                    var recovered = Findings.Count(f => !f.IsProblem);
                    return recovered == 0
                        ? $"healthy: no upstream failure in the last {SinceText}, and every target nginx proxies to accepts connections"
                        : $"healthy now: {recovered} upstream{(recovered == 1 ? "" : "s")} failed in the last {SinceText} but {(recovered == 1 ? "is" : "are")} back";
                default:
                    var failed = Checks.Where(c => c.Essential).Select(c => $"{c.Name}: {c.Detail}");
                    return "could not check: no nginx error log could be read (" + string.Join("; ", failed.DefaultIfEmpty("none found")) + "); use --error-log or run as root";
            }
        }
    }

    public string SinceText => Since.TotalMinutes >= 1 ? $"{Since.TotalMinutes:0.#} min" : $"{Since.TotalSeconds:0} s";
}
