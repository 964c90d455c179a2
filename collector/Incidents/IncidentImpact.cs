using Fleet502.Diagnosis;

namespace Fleet502.Collector.Incidents;

/// <summary>
/// How bad an incident is for users: failed requests per second and the share of the reporters'
/// traffic that failed, from their newest access-log windows; from the error counts alone when
/// no access log is followed.
/// </summary>
internal static class IncidentImpact
{
    public const string Critical = "critical";
    public const string Major = "major";
    public const string Minor = "minor";

    /// <summary>Statuses counted as failed: what a 502 guide is about.</summary>
    private static readonly uint[] Failed = [500, 502, 503, 504];

    /// <summary>
    /// One reporter's rate and share toward the target, from its newest 10 s period that has windows
    /// toward it near <paramref name="around"/> (null when none): failed requests of those windows
    /// over all the reporter's requests in that period.
    /// </summary>
    public static ReporterImpact? FromWindows(WindowIndex reporter, TargetAddress target, DateTimeOffset around)
    {
        var age = Diagnosis.Rules.UpstreamTimeoutRule.WindowAge;
        DateTimeOffset? newest = null;
        double bad = 0;
        foreach (var w in reporter.Toward(target))
        {
            var start = w.Value.Start.ToDateTimeOffset();
            if (w.At < around - age || w.At > around + age || start < newest)
            {
                continue;
            }

            if (start > newest || newest is null)
            {
                (newest, bad) = (start, 0); // a newer period: only its windows count
            }

            foreach (var code in Failed)
            {
                bad += w.Value.Statuses.GetValueOrDefault(code);
            }
        }

        if (newest is not { } period)
        {
            return null;
        }

        var (requests, seconds) = reporter.Period(period);
        return new ReporterImpact(bad / Math.Max(1u, seconds), bad, requests);
    }

    /// <summary>One reporter's failed requests per second, failed and total requests of its newest period.</summary>
    public sealed record ReporterImpact(double PerSecond, double Failed, double Total);

    public static string Severity(double perSecond, double? share) =>
        share >= 0.25 || perSecond >= 50 ? Critical
        : share >= 0.05 || perSecond >= 5 ? Major
        : Minor;
}
