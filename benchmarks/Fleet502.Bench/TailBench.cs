using Fleet502.Agent.Platform;
using Fleet502.Agent.Shipping;
using Fleet502.Agent.Sources.NginxAccessLog;
using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Agent.Tailing;
using Fleet502.Protos.V1;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet502.Bench;

/// <summary>
/// The agent's log pipeline on one file, start to end, as the agent runs it: <see cref="LogTailer"/>
/// (pread into its pooled buffer, line split) → parse → classify → coalesce, encode, pin the offset in
/// <see cref="PendingOffsets"/> and hand to the <see cref="EventQueue"/> (error log), or
/// <see cref="AccessLogFollower"/> (match, 10 s windows, events, pinned offsets) → queue (access log).
/// What the stream does with a queued event before its ack is then done too (sequence number, offset
/// released, event back to the pool); the spool write and gRPC are not part of it.
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
        output.WriteLine($"lines: {median.Lines:N0} ({median.Unparsed:N0} unparsed, {median.Blamed:N0} blaming an upstream, {median.Events:N0} events out, {median.EventBytes:N0} bytes encoded)");
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
            if (kind == LogKind.Access && stage == Stage.All)
            {
                return RunFollower(state.FullName);
            }

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
            return new RunResult(bytes, pipeline.Lines, pipeline.Unparsed, pipeline.Blamed, pipeline.Events, pipeline.EventBytes,
                end.Since(start), end.Since(mid), pipeline.Lines - middleLines);
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    /// <summary>The access log as <c>AccessLogSource</c> runs it: the follower (its own tailer, windows, pinned offsets) → queue.</summary>
    private RunResult RunFollower(string state)
    {
        var shipping = new Shipping();
        var target = new AccessLogTarget([file], LogFormat.Parse(AccessFormat));
        using var follower = new AccessLogFollower(target, state, new TailerSettings { ReadFromStart = true }, shipping.Pending, TimeProvider.System, NullLogger.Instance);
        var ready = new List<EncodedEvent>();
        var size = new FileInfo(file).Length;
        var half = CountLines() / 2;
        ProcessStats.Snapshot? middle = null;
        long middleLines = 0;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var start = ProcessStats.Take();
        long before = -1;
        while (follower.Lines != before)
        {
            before = follower.Lines;
            follower.Poll(ready);
            shipping.Ship(ready);
            if (middle is null && follower.Lines >= half)
            {
                middle = ProcessStats.Take();
                middleLines = follower.Lines;
            }
        }

        follower.Poll(ready, stopping: true);
        shipping.Ship(ready);
        var end = ProcessStats.Take();
        return new RunResult(size, follower.Lines, follower.Malformed, shipping.Events, shipping.Events, shipping.Bytes,
            end.Since(start), end.Since(middle ?? start), follower.Lines - middleLines);
    }

    // The follower tells lines, not offsets: the steady-state half is found by lines, counted before the clock starts.
    private long CountLines()
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
        var buffer = new byte[1 << 20];
        long lines = 0;
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            lines += buffer.AsSpan(0, n).Count((byte)'\n');
        }

        return lines;
    }

    private sealed record RunResult(long Bytes, long Lines, long Unparsed, long Blamed, long Events, long EventBytes,
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
        long EventBytes { get; }
        void OnLine(TailedFile file, ReadOnlySpan<byte> line, long offset, bool truncated);
        void Drain(bool final);
    }

    /// <summary>What <c>ErrorLogSource</c> does per line and per poll, then what the stream does per event before the ack.</summary>
    private sealed class ErrorPipeline : IPipeline
    {
        private readonly Stage _stage;
        private readonly Shipping _shipping = new();
        private readonly UpstreamErrorCoalescer _coalescer;
        private readonly List<EncodedEvent> _ready = [];

        public ErrorPipeline(Stage stage)
        {
            _stage = stage;
            var pending = _shipping.Pending;
            _coalescer = new UpstreamErrorCoalescer(TimeSpan.FromSeconds(1), TimeProvider.System,
                origin => pending.Add(new FileIdentity(origin.Device, origin.Inode), origin.Generation, origin.Offset));
        }

        public long Lines { get; private set; }
        public long Unparsed { get; private set; }
        public long Blamed { get; private set; }
        public long Events => _shipping.Events;
        public long EventBytes => _shipping.Bytes;

        public void OnLine(TailedFile file, ReadOnlySpan<byte> line, long offset, bool truncated)
        {
            Lines++;
            if (_stage == Stage.Split)
            {
                return;
            }

            if (!NginxErrorLineParser.TryParse(line, out var parsed))
            {
                Unparsed++;
                return;
            }

            if (_stage == Stage.Parse)
            {
                return;
            }

            var classification = UpstreamErrorClassifier.Classify(parsed);
            if (!classification.Blames)
            {
                return;
            }

            Blamed++;
            if (_stage == Stage.Classify)
            {
                return;
            }

            _coalescer.Add(parsed, classification, line, new LineOrigin(file.Path, file.Identity.Device, file.Identity.Inode, offset, file.Generation));
        }

        public void Drain(bool final)
        {
            _coalescer.Drain(_ready, all: final);
            _shipping.Ship(_ready);
        }
    }

    /// <summary>
    /// The queue hand-off (as the sources do it) and, per event, what <c>CollectorStreamer</c> does up to
    /// and after the ack: sequence number, offset released, event back to the pool.
    /// </summary>
    private sealed class Shipping
    {
        private readonly EventQueue _queue = new();
        private ulong _seq;

        public PendingOffsets Pending { get; } = new();
        public long Events { get; private set; }
        public long Bytes { get; private set; }

        public void Ship(List<EncodedEvent> ready)
        {
            foreach (var evt in ready)
            {
                if (!_queue.TryEnqueue(evt))
                {
                    Consume();
                    _queue.TryEnqueue(evt);
                }
            }

            ready.Clear();
            Consume();
        }

        private void Consume()
        {
            while (_queue.Reader.TryRead(out var evt))
            {
                evt.AssignSeq(++_seq);
                Events++;
                Bytes += evt.Payload.Length;
                if (evt.Source is { } source)
                {
                    Pending.Release(source.File, source.Generation, source.Offset);
                }

                EncodedEventPool.Return(evt);
            }
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
        public long EventBytes => 0;

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
