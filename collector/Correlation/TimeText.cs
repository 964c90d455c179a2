using System.Globalization;

namespace Fleet502.Collector.Correlation;

/// <summary>Times in evidence and summaries: UTC wall-clock, to the second.</summary>
internal static class TimeText
{
    public static string Of(DateTimeOffset time) =>
        time.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
}
