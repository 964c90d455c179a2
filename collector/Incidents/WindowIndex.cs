using System.Collections.Immutable;
using Fleet502.Diagnosis;
using Fleet502.Protos.V1;

namespace Fleet502.Collector.Incidents;

/// <summary>
/// One reporter's access windows by the target they name, and the traffic of each 10 s period:
/// built once per change of its windows, so an incident's impact reads the few windows toward its
/// target instead of walking all of them (up to 512 per load balancer) on every symptom.
/// </summary>
internal sealed class WindowIndex
{
    private readonly Dictionary<string, List<Timed<AccessWindow>>> _toward = new(StringComparer.Ordinal);
    private readonly Dictionary<DateTimeOffset, (ulong Requests, uint Seconds)> _periods = [];

    private WindowIndex(ImmutableDictionary<string, Timed<AccessWindow>> source)
    {
        Source = source;
        foreach (var window in source.Values)
        {
            var w = window.Value;
            if (!HasStart(w))
            {
                continue; // the validator rejects these; a database written before it may still replay one
            }

            // The names UpstreamTimeoutRule.Windows matches a target's text against.
            Add(w.Upstream, window);
            Add(w.UpstreamGroup, window);
            if (w.Upstream.Length > 0)
            {
                Add(TargetAddress.CanonicalText(w.Upstream), window);
            }

            var start = w.Start.ToDateTimeOffset();
            var (requests, seconds) = _periods.GetValueOrDefault(start);
            _periods[start] = (requests + w.Requests, Math.Max(seconds, w.Seconds));
        }
    }

    /// <summary>The windows it was built from: a reporter whose windows changed needs a new index.</summary>
    public ImmutableDictionary<string, Timed<AccessWindow>> Source { get; }

    public static WindowIndex Of(ImmutableDictionary<string, Timed<AccessWindow>> windows) => new(windows);

    /// <summary>The windows toward <paramref name="target"/> (each once), in no particular order.</summary>
    public IReadOnlyList<Timed<AccessWindow>> Toward(TargetAddress target) =>
        _toward.TryGetValue(target.Text, out var windows) ? windows : [];

    /// <summary>All requests of the windows of one period, and its longest window in seconds.</summary>
    public (ulong Requests, uint Seconds) Period(DateTimeOffset start) => _periods.GetValueOrDefault(start);

    // Timestamp.ToDateTimeOffset throws outside 0001-01-01..9999-12-31 or for unnormalized nanos.
    private static bool HasStart(AccessWindow window) =>
        window.Start is { Nanos: >= 0 and <= 999_999_999 } start && start.Seconds is >= -62_135_596_800 and <= 253_402_300_799;

    private void Add(string name, Timed<AccessWindow> window)
    {
        if (name.Length == 0)
        {
            return;
        }

        if (!_toward.TryGetValue(name, out var windows))
        {
            _toward[name] = windows = [];
        }

        if (windows.Count == 0 || !ReferenceEquals(windows[^1], window))
        {
            windows.Add(window); // a window named twice (upstream and its canonical text) counts once
        }
    }
}
