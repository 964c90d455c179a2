using System.Text.Encodings.Web;
using System.Text.Json;
using Fleet502.Diagnosis;

namespace Fleet502.Agent.Diagnosis;

/// <summary>
/// The report for machines (<c>--json</c>): one object with the verdict, exit code, checks and
/// findings, causes in the API's snake_case. Written with Utf8JsonWriter: no reflection, AOT-clean.
/// </summary>
public static class DoctorJsonWriter
{
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(DoctorReport report, Stream output)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var json = new Utf8JsonWriter(output, Options);
        json.WriteStartObject();
        json.WriteString("host", report.Host);
        json.WriteString("status", report.ExitCode switch { DoctorReport.Healthy => "healthy", DoctorReport.ProblemsFound => "problems", _ => "unchecked" });
        json.WriteNumber("exit_code", report.ExitCode);
        json.WriteString("verdict", report.Verdict);
        json.WriteNumber("since_seconds", (long)report.Since.TotalSeconds);
        json.WriteStartArray("problems");
        foreach (var finding in report.Findings.Where(f => f.IsProblem))
        {
            WriteFinding(json, finding);
        }

        json.WriteEndArray();
        json.WriteStartArray("recovered");
        foreach (var finding in report.Findings.Where(f => !f.IsProblem))
        {
            WriteFinding(json, finding);
        }

        json.WriteEndArray();
        json.WriteStartArray("checks");
        foreach (var check in report.Checks)
        {
            json.WriteStartObject();
            json.WriteString("name", check.Name);
            json.WriteString("status", check.Status switch { CheckStatus.Ok => "ok", CheckStatus.Skipped => "skipped", _ => "failed" });
            json.WriteString("detail", check.Detail);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
    }

    private static void WriteFinding(Utf8JsonWriter json, DoctorFinding finding)
    {
        var symptom = finding.Symptom;
        json.WriteStartObject();
        json.WriteString("target", symptom.Target.Text);
        json.WriteString("cause", finding.CauseName);
        json.WriteString("rule", finding.Rule);
        json.WriteString("reported_cause", ProtoEnumName.ToSnakeCase(symptom.Cause));
        json.WriteBoolean("from_logs", finding.FromLogs);
        json.WriteNumber("error_count", finding.FromLogs ? symptom.Count : 0);
        if (symptom.Error.FirstTime is { } first)
        {
            json.WriteString("first_seen", first.ToDateTimeOffset());
        }

        json.WriteString("last_seen", symptom.Time);
        json.WriteNumber("status", symptom.Error.Status);
        json.WriteString("source", symptom.Source);
        json.WriteString("raw", symptom.Error.Raw);
        if (finding.Verdict is { } verdict)
        {
            json.WriteString("tier", verdict.Tier);
            json.WriteNumber("confidence", verdict.Confidence);
            json.WriteString("summary", verdict.Headline);
            json.WriteString("fix", verdict.Fix);
            json.WriteStartArray("evidence");
            foreach (var item in verdict.Evidence)
            {
                json.WriteStartObject();
                json.WriteString("time", item.Time);
                json.WriteString("host", item.Host);
                json.WriteString("source", item.Source);
                json.WriteString("text", item.Text);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        if (finding.Traffic is { } traffic)
        {
            json.WriteStartObject("access");
            json.WriteNumber("requests", traffic.Requests);
            json.WriteNumber("bad_gateway", traffic.BadGateway);
            json.WriteNumber("nginx_generated", traffic.NginxGenerated);
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }
}
