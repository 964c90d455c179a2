using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Fleet502.Agent.Sources.NginxErrorLog;

namespace Fleet502.Benchmarks;

/// <summary>
/// error.log hot path: parse + classify, and parse + classify + coalesce, over every real line of the
/// test corpus (75 lines from public bug reports: every catalogue family, negatives, container and
/// syslog prefixes, truncated pastes), repeated to 4096. One operation is one line
/// (OperationsPerInvoke), so Mean is ns/line and Allocated is B/line.
/// </summary>
[MemoryDiagnoser]
public class ErrorLineBenchmarks
{
    private const int Lines = 4096;

    private byte[][] _lines = [];
    private byte[][] _timed = [];
    private UpstreamErrorCoalescer _coalescer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var corpus = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "corpus", "nginx_error_lines.jsonl"))
            .Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("line").GetString()!)
            .ToArray();
        _lines = Enumerable.Range(0, Lines).Select(i => Encoding.UTF8.GetBytes(corpus[i % corpus.Length])).ToArray();
        // Coalescing groups by the log's second: pasted fragments without a timestamp are one event each,
        // so the coalesce benchmark runs on the corpus lines that carry nginx's timestamp.
        var timed = corpus.Where(l => NginxErrorLineParser.TryParse(Encoding.UTF8.GetBytes(l), out var p) && p.LocalTime is not null).ToArray();
        _timed = Enumerable.Range(0, Lines).Select(i => Encoding.UTF8.GetBytes(timed[i % timed.Length])).ToArray();
        // Real clock; the window never closes during a run, so repeated keys hit the pending events.
        _coalescer = new UpstreamErrorCoalescer(TimeSpan.FromHours(1), TimeProvider.System);
        // Warm the keys: a storm repeats the same few (cause, peer, server) keys.
        ParseClassifyCoalesce();
    }

    [Benchmark(OperationsPerInvoke = Lines)]
    public int ParseAndClassify()
    {
        var blamed = 0;
        foreach (var raw in _lines)
        {
            if (NginxErrorLineParser.TryParse(raw, out var line) && UpstreamErrorClassifier.Classify(line).Blames)
            {
                blamed++;
            }
        }

        return blamed;
    }

    [Benchmark(OperationsPerInvoke = Lines)]
    public int ParseClassifyCoalesce()
    {
        var origin = new LineOrigin("/var/log/nginx/error.log", 1, 2, 0);
        foreach (var raw in _timed)
        {
            if (NginxErrorLineParser.TryParse(raw, out var line))
            {
                var classification = UpstreamErrorClassifier.Classify(line);
                if (classification.Blames)
                {
                    _coalescer.Add(line, classification, raw, origin);
                }
            }
        }

        return _coalescer.PendingCount;
    }
}
