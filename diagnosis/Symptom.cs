using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis;

/// <summary>An UpstreamError as the correlator sees it: who reported it, when, toward what.</summary>
/// <param name="Reporter">The host whose nginx logged the error.</param>
/// <param name="Time">When it was logged (the window's last time).</param>
/// <param name="Target">The parsed upstream target.</param>
/// <param name="Error">The event body, for counts, server names and the raw line.</param>
/// <param name="Source">Which log the line came from.</param>
public sealed record Symptom(HostState Reporter, DateTimeOffset Time, TargetAddress Target, UpstreamError Error, string Source)
{
    public Cause Cause => Error.Cause;

    /// <summary>
    /// Every other known host, for rules that look past the target's owner (the servers of an
    /// upstream group live on several hosts). Empty for the doctor, which sees one host.
    /// </summary>
    public IReadOnlyCollection<HostState> Fleet { get; init; } = [];

    /// <summary>How many requests failed; a window always holds at least one.</summary>
    public long Count => Math.Max(1, Error.Count);

    /// <summary>The symptom of a validated UpstreamError event; null for any other event.</summary>
    public static Symptom? From(HostState reporter, Event e) => From(reporter, e, TargetAddress.FromProto);

    /// <summary>As above, with the target parsed by <paramref name="parse"/> (the collector caches it: a storm names the same targets).</summary>
    public static Symptom? From(HostState reporter, Event e, Func<UpstreamTarget?, TargetAddress?> parse)
    {
        if (e.UpstreamError is not { } error || parse(error.Target) is not { } target)
        {
            return null;
        }

        var time = (error.LastTime ?? e.Time).ToDateTimeOffset();
        var source = string.IsNullOrEmpty(e.Source?.Path) ? "nginx error log" : e.Source.Path;
        return new Symptom(reporter, time, target, error, source);
    }
}
