using System.Globalization;

namespace Fleet502.Diagnosis;

/// <summary>Times in evidence and summaries: UTC wall-clock, to the second.</summary>
public static class TimeText
{
    public static string Of(DateTimeOffset time) =>
        time.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
}
