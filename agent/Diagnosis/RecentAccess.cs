using Fleet502.Agent.Sources.NginxAccessLog;

namespace Fleet502.Agent.Diagnosis;

/// <summary>The last minutes of access logs, summed per upstream with the agent's own 10 s windows.</summary>
public sealed class RecentAccess(TimeProvider time)
{
    private readonly Dictionary<string, AccessTraffic> _byUpstream = new(StringComparer.Ordinal);
    private readonly List<ClosedAccessWindow> _closed = [];

    public long Lines { get; private set; }

    public long Malformed { get; private set; }

    public IReadOnlyCollection<AccessTraffic> Traffic => _byUpstream.Values;

    public void Read(string path, LogFormat format, TimeSpan since, long maxBytes)
    {
        var aggregator = new AccessWindowAggregator(format);
        RecentLines.Read(path, maxBytes, (line, offset) => aggregator.Add(line, offset));
        aggregator.CloseAll();
        _closed.Clear();
        aggregator.Drain(_closed);
        Lines += aggregator.Lines;
        Malformed += aggregator.Malformed;
        var oldest = time.GetUtcNow() - since - TimeSpan.FromSeconds(AccessWindowAggregator.WindowSeconds);
        foreach (var (window, _) in _closed)
        {
            var start = window.Start.ToDateTimeOffset();
            if (start < oldest)
            {
                continue;
            }

            if (!_byUpstream.TryGetValue(window.Upstream, out var traffic))
            {
                _byUpstream[window.Upstream] = traffic = new AccessTraffic(window.Upstream);
            }

            traffic.Requests += window.Requests;
            foreach (var (status, count) in window.Statuses)
            {
                if (status is >= 200 and < 400)
                {
                    traffic.Good += count;
                }
                else if (status is 502 or 504)
                {
                    traffic.BadGateway += count;
                }
            }

            traffic.NginxGenerated += window.NginxGenerated;
            var end = start.AddSeconds(window.Seconds);
            traffic.Last = traffic.Last is { } last && last > end ? last : end;
        }
    }
}
