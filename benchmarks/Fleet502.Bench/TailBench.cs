using Fleet502.Agent.Sources.NginxAccessLog;
using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Agent.Tailing;
using Fleet502.Protos.V1;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet502.Bench;

/// <summary>
/// The agent's log pipeline on one file, start to end, as the agent runs it: <see cref="LogTailer"/>
/// (pread into its pooled buffer, line split) → parse → classify → coalesce (error log) or
/// <see cref="LogFormat"/> match + <see cref="AccessLineClassifier"/> (access log). Shipping
/// (queue, spool, gRPC) is not part of it: events are counted and dropped.
/// </summary>
internal sealed class TailBench(LogKind kind, string file, int runs, Stage stage, TextWriter output)
{
    /// <summary>combined + the timing fields the issue names.</summary>
    public const string AccessFormat = LogFormat.Combined + " $request_time $upstream_response_time $upstream_addr $upstream_status";

    private const double MiB = 1024 * 1024;
    private const double GiB = 1024 * MiB;

    public int Run()
    {
        var size = new FileInfo(file).Length;
        output.WriteLine($"fleet502-bench tail --kind {kind.ToString().ToLowerInvariant()} --file {file} --runs {runs}{(stage == Stage.All ? "" : " --stop-after " + stage.ToString().ToLowerInvariant())}");
        output.WriteLine($"file: {size:N0} bytes ({size / MiB:F0} MiB); {Machine.Describe()}");
        output.WriteLine();
        output.WriteLine("| run | lines | MiB/s (wall) | lines/s | CPU s | CPU-s/GiB | MiB per CPU-s | B/line (all) | B/line (2nd half) | events |");
        output.WriteLine("|----:|------:|-------------:|--------:|------:|----------:|--------------:|-------------:|------------------:|-------:|");
        var results = new List<RunResult>();
        for (var run = 1; run <= runs; run++)
        {
            var r = RunOnce(size);
            results.Add(r);
            output.WriteLine($"| {run} | {r.Lines:N0} | {r.Bytes / MiB / r.Total.Wall.TotalSeconds:F0} | {r.Lines / r.Total.Wall.TotalSeconds:N0} | {r.Total.Cpu.TotalSeconds:F2} | {r.CpuPerGiB:F2} | {r.Bytes / MiB / r.Total.Cpu.TotalSeconds:F0} | {(double)r.Total.Allocated / r.Lines:F2} | {(double)r.SecondHalf.Allocated / r.SecondHalfLines:F3} | {r.Events:N0} |");
            output.Flush();
        }

        var median = results.OrderBy(r => r.CpuPerGiB).ElementAt(results.Count / 2);
        var best = results.MinBy(r => r.CpuPerGiB)!;
        var peakRss = ProcessStats.PeakRss();
        var cpuTarget = kind == LogKind.Access ? 5.8 : 5.4;
        var steady = (double)median.SecondHalf.Allocated / median.SecondHalfLines;
        output.WriteLine();
        output.WriteLine($"lines: {median.Lines:N0} ({median.Unparsed:N0} unparsed, {median.Blamed:N0} blaming an upstream, {median.Events:N0} events out)");
        output.WriteLine($"CPU-s/GiB: median {median.CpuPerGiB:F2}, best {best.CpuPerGiB:F2} (target ≤ {cpuTarget}) {Verdict(median.CpuPerGiB <= cpuTarget)}");
        output.WriteLine($"MiB/s (wall): median-run {median.Bytes / MiB / median.Total.Wall.TotalSeconds:F0}; per CPU-second {median.Bytes / MiB / median.Total.Cpu.TotalSeconds:F0} (target ≥ 150 per core)");
        output.WriteLine($"peak RSS (VmHWM): {peakRss / MiB:F1} MiB (target ≤ 40) {Verdict(peakRss <= 40 * MiB)}");
        output.WriteLine($"allocated per line, 2nd half of the file: {steady:F3} B (target 0) {Verdict(steady < 0.5)}");
        return 0;
    }

    private static string Verdict(bool met) => met ? "MET" : "MISSED";

    private RunResult RunOnce(long size)
    {
        var state = Directory.CreateTempSubdirectory("fleet502-bench-");
        try
        {
            var pipeline = kind == LogKind.Error ? (IPipeline)new ErrorPipeline(stage) : new AccessPipeline(stage);
            var checkpoints = new CheckpointStore(state.FullName, TimeProvider.System);
            using var tailer = new LogTailer([file], new TailerSettings { ReadFromStart = true }, checkpoints, TimeProvider.System, NullLogger.Instance);
            FileLineHandler handler = pipeline.OnLine;
            var half = size / 2;
            long bytes = 0;
            ProcessStats.Snapshot? middle = null;
            long middleLines = 0;

            GC.Collect();
            GC.WaitForPendingFinalizers();
            var start = ProcessStats.Take();
            while (true)
            {
                var read = tailer.Poll(handler);
                pipeline.Drain(final: false);
                bytes += read;
                if (middle is null && bytes >= half)
                {
                    middle = ProcessStats.Take();
                    middleLines = pipeline.Lines;
                }

                if (read == 0)
                {
                    break;
                }
            }

            pipeline.Drain(final: true);
            var end = ProcessStats.Take();
            var mid = middle ?? start;
            return new RunResult(bytes, pipeline.Lines, pipeline.Unparsed, pipeline.Blamed, pipeline.Events,
                end.Since(start), end.Since(mid), pipeline.Lines - middleLines);
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    private sealed record RunResult(long Bytes, long Lines, long Unparsed, long Blamed, long Events,
        ProcessStats.Delta Total, ProcessStats.Delta SecondHalf, long SecondHalfLines)
    {
        public double CpuPerGiB => Total.Cpu.TotalSeconds / (Bytes / GiB);
    }

    private interface IPipeline
    {
        long Lines { get; }
        long Unparsed { get; }
        long Blamed { get; }
        long Events { get; }
        void OnLine(TailedFile file, ReadOnlySpan<byte> line, long offset, bool truncated);
        void Drain(bool final);
    }

    /// <summary>What <c>ErrorLogSource.OnLine</c> does, minus the pending-offset bookkeeping that acks release.</summary>
    private sealed class ErrorPipeline(Stage stage) : IPipeline
    {
        private readonly UpstreamErrorCoalescer _coalescer = new(TimeSpan.FromSeconds(1), TimeProvider.System);
        private readonly List<Event> _ready = [];

        public long Lines { get; private set; }
        public long Unparsed { get; private set; }
        public long Blamed { get; private set; }
        public long Events { get; private set; }

        public void OnLine(TailedFile file, ReadOnlySpan<byte> line, long offset, bool truncated)
        {
            Lines++;
            if (stage == Stage.Split)
            {
                return;
            }

            if (!NginxErrorLineParser.TryParse(line, out var parsed))
            {
                Unparsed++;
                return;
            }

            if (stage == Stage.Parse)
            {
                return;
            }

            var classification = UpstreamErrorClassifier.Classify(parsed);
            if (!classification.Blames)
            {
                return;
            }

            Blamed++;
            if (stage == Stage.Classify)
            {
                return;
            }

            _coalescer.Add(parsed, classification, line, new LineOrigin(file.Path, file.Identity.Device, file.Identity.Inode, offset, file.Generation));
        }

        public void Drain(bool final)
        {
            _coalescer.Drain(_ready, all: final);
            Events += _ready.Count;
            _ready.Clear();
        }
    }

    /// <summary>Access lines: compiled log_format match and the per-line classification.</summary>
    private sealed class AccessPipeline : IPipeline
    {
        private readonly LogFormat _format = LogFormat.Parse(AccessFormat);
        private readonly Range[] _ranges;
        private readonly Stage _stage;

        public AccessPipeline(Stage stage)
        {
            _ranges = new Range[_format.Variables.Count];
            _stage = stage;
        }

        public long Lines { get; private set; }
        public long Unparsed { get; private set; }
        public long Blamed { get; private set; }
        public long Events => Blamed;

        public void OnLine(TailedFile file, ReadOnlySpan<byte> line, long offset, bool truncated)
        {
            Lines++;
            if (_stage == Stage.Split)
            {
                return;
            }

            if (!_format.TryMatch(line, _ranges))
            {
                Unparsed++;
                return;
            }

            if (_stage != Stage.Parse && AccessLineClassifier.Classify(_format, line, _ranges).Blames)
            {
                Blamed++;
            }
        }

        public void Drain(bool final)
        {
        }
    }
}

internal enum LogKind
{
    Error,
    Access,
}

/// <summary>Where the pipeline stops, to attribute cost: each stage includes the ones before it.</summary>
internal enum Stage
{
    /// <summary>Tailer reads and splits lines; the handler only counts them.</summary>
    Split,
    /// <summary>+ parse (error line parser / log_format match).</summary>
    Parse,
    /// <summary>+ classify.</summary>
    Classify,
    /// <summary>+ coalesce (error log): the whole pipeline.</summary>
    All,
}
