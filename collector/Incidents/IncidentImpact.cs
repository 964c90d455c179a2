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

    /// <summary>Rate and share over the reporters' newest windows toward the target (null when none).</summary>
    public static ReporterImpact? FromWindows(IEnumerable<HostState> reporters, TargetAddress target, DateTimeOffset around)
    {
        double perSecond = 0;
        ulong failed = 0;
        ulong total = 0;
        var any = false;
        foreach (var reporter in reporters)
        {
            var toward = Diagnosis.Rules.UpstreamTimeoutRule.Windows(reporter, target, around).ToList();
            if (toward.Count == 0)
            {
                continue;
            }

            // One 10 s period: the newest one that has windows toward the target.
            var start = toward.Max(w => w.Value.Start.ToDateTimeOffset());
            var period = reporter.AccessWindows.Values.Where(w => w.Value.Start.ToDateTimeOffset() == start).ToList();
            var seconds = Math.Max(1u, period.Max(w => w.Value.Seconds));
            var bad = toward.Where(w => w.Value.Start.ToDateTimeOffset() == start)
                .Sum(w => Failed.Sum(code => (double)w.Value.Statuses.GetValueOrDefault(code)));
            perSecond += bad / seconds;
            failed += (ulong)bad;
            total += period.Aggregate(0UL, (sum, w) => sum + w.Value.Requests);
            any = true;
        }

        return any ? new ReporterImpact(perSecond, failed, total) : null;
    }

    /// <summary>One reporter's failed requests per second, failed and total requests of its newest period.</summary>
    public sealed record ReporterImpact(double PerSecond, double Failed, double Total);

    public static string Severity(double perSecond, double? share) =>
        share >= 0.25 || perSecond >= 50 ? Critical
        : share >= 0.05 || perSecond >= 5 ? Major
        : Minor;
}
