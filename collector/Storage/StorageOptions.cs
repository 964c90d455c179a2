using Fleet502.Collector.Hosting;

namespace Fleet502.Collector.Storage;

/// <summary>Where and how long events are kept (config section <c>Storage</c>).</summary>
internal sealed class StorageOptions : IValidatableOptions
{
    public const string Section = "Storage";
    public const string DefaultPath = "/var/lib/fleet502-collector/fleet502.db";

    private static readonly TimeSpan MinRetention = TimeSpan.FromHours(1);

    /// <summary>The LiteDB file; its directory is created. Default <c>/var/lib/fleet502-collector/fleet502.db</c>.</summary>
    public string Path { get; set; } = DefaultPath;

    /// <summary>Events older than this are deleted (agents, incidents and last seqs are kept). Default 7 days.</summary>
    public TimeSpan EventRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the retention job runs. Default 1 hour.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            yield return "Storage:Path is empty: set the LiteDB file, e.g. " + DefaultPath;
        }

        if (EventRetention < MinRetention)
        {
            yield return $"Storage:EventRetention {EventRetention} is shorter than {MinRetention} (format d.hh:mm:ss)";
        }

        if (RetentionInterval <= TimeSpan.Zero)
        {
            yield return $"Storage:RetentionInterval {RetentionInterval} must be positive";
        }
    }
}
