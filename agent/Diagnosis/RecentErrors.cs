using Fleet502.Agent.Shipping;
using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Diagnosis;

/// <summary>
/// The upstream failures of the last minutes of nginx error logs, one UpstreamError per (cause,
/// target) with the total count, first and last time and the newest raw line: the same parser and
/// classifier as the running agent, folded per target instead of per second.
/// </summary>
public sealed class RecentErrors(TimeProvider time)
{
    private readonly Dictionary<(Cause Cause, string Target), Event> _byTarget = [];

    /// <summary>Lines read, in the time window.</summary>
    public long Lines { get; private set; }

    /// <summary>Lines that blamed an upstream.</summary>
    public long Failures { get; private set; }

    /// <summary>Lines that were not nginx error lines (counted and skipped).</summary>
    public long Unparsed { get; private set; }

    /// <summary>Reads the end of one error log; lines older than <paramref name="since"/> do not count.</summary>
    public void Read(string path, TimeSpan since, long maxBytes)
    {
        var oldest = time.GetLocalNow().DateTime - since;
        var coalescer = new UpstreamErrorCoalescer(TimeSpan.Zero, time);
        var identity = File.Exists(path) ? (ulong)path.GetHashCode(StringComparison.Ordinal) : 0;
        RecentLines.Read(path, maxBytes, (line, offset) =>
        {
            if (!NginxErrorLineParser.TryParse(line, out var parsed))
            {
                Unparsed++;
                return;
            }

            if (parsed.LocalTime is { } at && at < oldest)
            {
                return;
            }

            Lines++;
            var classification = UpstreamErrorClassifier.Classify(parsed);
            if (!classification.Blames)
            {
                return;
            }

            Failures++;
            coalescer.Add(parsed, classification, line, new LineOrigin(path, 0, identity, offset));
        });

        var events = new List<EncodedEvent>();
        coalescer.Drain(events, all: true);
        foreach (var e in events)
        {
            Fold(e.ToEvent()); // a few events per target: decoding them is cheap next to reading the log
            EncodedEventPool.Return(e);
        }
    }

    /// <summary>One event per (cause, target), newest raw line, counts added up.</summary>
    public IReadOnlyList<Event> Events() => [.. _byTarget.Values.OrderByDescending(e => e.UpstreamError.LastTime)];

    private void Fold(Event e)
    {
        if (e.UpstreamError is not { } error || error.Cause == Cause.Unspecified)
        {
            return;
        }

        var key = (error.Cause, error.Target?.Address ?? error.Target?.UnixPath ?? "");
        var count = Math.Max(1u, error.Count);
        if (!_byTarget.TryGetValue(key, out var held))
        {
            var copy = e.Clone();
            copy.UpstreamError.Count = count;
            copy.UpstreamError.FirstTime ??= copy.UpstreamError.LastTime ?? copy.Time;
            copy.UpstreamError.LastTime ??= copy.Time;
            _byTarget[key] = copy;
            return;
        }

        var kept = held.UpstreamError;
        var first = error.FirstTime ?? error.LastTime ?? e.Time;
        var last = error.LastTime ?? e.Time;
        kept.Count += count;
        if (first < kept.FirstTime)
        {
            kept.FirstTime = first;
        }

        if (last >= kept.LastTime)
        {
            // The newest line is the one to show.
            var total = kept.Count;
            var firstTime = kept.FirstTime;
            held.UpstreamError = error.Clone();
            held.UpstreamError.Count = total;
            held.UpstreamError.FirstTime = firstTime;
            held.UpstreamError.LastTime = last;
            held.Time = e.Time;
            held.Source = e.Source;
        }
    }
}
