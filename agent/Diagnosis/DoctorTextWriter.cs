using System.Globalization;
using Fleet502.Diagnosis;

namespace Fleet502.Agent.Diagnosis;

/// <summary>The report for a person: per upstream what is wrong, what shows it, and what to do; then the verdict.</summary>
public static class DoctorTextWriter
{
    public static void Write(DoctorReport report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine($"fleet502-agent doctor on {report.Host}: nginx upstreams over the last {report.SinceText}");
        output.WriteLine();
        foreach (var finding in report.Findings)
        {
            WriteFinding(finding, output);
            output.WriteLine();
        }

        var failed = report.Checks.Where(c => c.Status == CheckStatus.Failed).ToList();
        if (failed.Count > 0)
        {
            output.WriteLine("Could not check:");
            foreach (var check in failed)
            {
                output.WriteLine($"  - {check.Name}: {check.Detail}");
            }

            output.WriteLine();
        }

        output.WriteLine($"Verdict: {report.Verdict}");
    }

    public static void WriteFinding(DoctorFinding finding, TextWriter output)
    {
        var symptom = finding.Symptom;
        var error = symptom.Error;
        if (finding.Verdict is not { } verdict)
        {
            output.WriteLine($"[recovered] {symptom.Target}: {finding.CauseName}, {Requests(symptom.Count)} until {TimeText.Of(symptom.Time)}; it accepts connections again now");
            output.WriteLine($"  nginx logged: {error.Raw}");
            return;
        }

        output.WriteLine($"[problem] {symptom.Target}: {finding.CauseName} (tier {verdict.Tier}, confidence {verdict.Confidence.ToString("0.##", CultureInfo.InvariantCulture)})");
        output.WriteLine($"  What is wrong: {verdict.Headline}");
        if (finding.FromLogs)
        {
            var first = error.FirstTime?.ToDateTimeOffset() ?? symptom.Time;
            var status = error.Status > 0 ? $" answered {error.Status}" : "";
            output.WriteLine($"  Seen:          {Requests(symptom.Count)}{status}, {TimeText.Of(first)}-{TimeText.Of(symptom.Time)} UTC, in {symptom.Source}");
            output.WriteLine($"  nginx logged:  {error.Raw}");
        }
        else
        {
            output.WriteLine($"  Seen:          no failed request in the logs yet; {error.Raw}");
        }

        if (finding.Traffic is { } traffic)
        {
            output.WriteLine($"  Access log:    {traffic.Describe()}");
        }

        output.WriteLine("  Evidence:");
        foreach (var item in verdict.Evidence)
        {
            output.WriteLine($"    - {item.Text}");
        }

        output.WriteLine($"  Fix:           {verdict.Fix}");
    }

    /// <summary>A progress line for stderr: "[3/7] nginx access logs".</summary>
    public static string Progress(int step, string what) => $"[{step}/{LocalHostScanner.Steps}] {what} ...";

    /// <summary>A check's result for stderr: "      ok  error log /x: 120 lines ...".</summary>
    public static string Result(DoctorCheck check) => check.Status switch
    {
        CheckStatus.Ok => $"      ok      {check.Name}: {check.Detail}",
        CheckStatus.Skipped => $"      skipped {check.Name}: {check.Detail}",
        _ => $"      FAILED  {check.Name}: {check.Detail}",
    };

    private static string Requests(long count) => count == 1 ? "1 failed request" : $"{count} failed requests";
}
