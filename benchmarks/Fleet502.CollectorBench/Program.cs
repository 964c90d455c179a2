using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Fleet502.CollectorBench;

// fleet502-collector-bench --collector PATH [--agents 1000] [--rate 100000] [--seconds 60] [--warmup 0] [--connections 16] [-- collector args]
var options = args.TakeWhile(a => a != "--").ToList();
var collectorArgs = args.SkipWhile(a => a != "--").Skip(1).ToList();
string Option(string name, string fallback)
{
    var i = options.IndexOf(name);
    return i >= 0 && i + 1 < options.Count ? options[i + 1] : fallback;
}

var executable = Option("--collector", Path.Combine(AppContext.BaseDirectory, "fleet502-collector"));
var agents = int.Parse(Option("--agents", "1000"), CultureInfo.InvariantCulture);
var rate = int.Parse(Option("--rate", "100000"), CultureInfo.InvariantCulture);
var seconds = int.Parse(Option("--seconds", "60"), CultureInfo.InvariantCulture);
// Sent at the full rate before the measured seconds: connects, JIT tiering and the backlog they leave.
var warmup = int.Parse(Option("--warmup", "0"), CultureInfo.InvariantCulture);
var connections = int.Parse(Option("--connections", "16"), CultureInfo.InvariantCulture);
var limit = int.Parse(Option("--limit", ((warmup + seconds) * 20 + 120).ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
if (!File.Exists(executable))
{
    Console.Error.WriteLine($"no collector at {executable}: dotnet publish collector -c Release -o artifacts/collector, then --collector artifacts/collector/fleet502-collector");
    return 2;
}

var data = Directory.CreateTempSubdirectory("fleet502-collector-bench-");
try
{
    await using var collector = await CollectorProcess.StartAsync(executable, data.FullName, collectorArgs);
    var replay = new FleetReplay(agents, rate, TimeSpan.FromSeconds(warmup + seconds), connections);
    var cpuBefore = collector.CpuSeconds();
    var clock = Stopwatch.StartNew();
    var peakRss = 0L;
    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(limit));
    var run = replay.RunAsync(collector.Grpc, cts.Token);

    // Acks counted over the measured seconds only; the events in flight at both ends show whether
    // the collector kept up (the same) or fell behind (more at the end).
    async Task<(long Sent, long Acked, long InFlight)> At(int second)
    {
        var wait = TimeSpan.FromSeconds(second) - clock.Elapsed;
        await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
        var acked = replay.Acked;
        var sent = replay.Sent;
        return (sent, acked, sent - acked);
    }

    var steadyFrom = warmup > 0 ? At(warmup) : null;
    var steadyTo = warmup > 0 ? At(warmup + seconds) : null;
    var lastAcked = 0L;
    while (!run.IsCompleted)
    {
        await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(5)));
        var (rss, _) = collector.Memory();
        peakRss = Math.Max(peakRss, rss);
        var acked = replay.Acked;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{clock.Elapsed.TotalSeconds,6:0.0}s  acked {acked,10:N0}  (+{(acked - lastAcked) / 5.0,9:N0}/s)  collector RSS {rss / 1048576.0:0} MiB"));
        lastAcked = acked;
    }

    var stopped = "";
    try
    {
        await run;
    }
    catch (Exception ex) when (cts.IsCancellationRequested && ex is OperationCanceledException or Grpc.Core.RpcException)
    {
        // The collector fell behind: report what it acked within the limit.
        stopped = $" (stopped at the {limit} s limit: the collector fell behind)";
    }

    var elapsed = clock.Elapsed;
    var cpu = collector.CpuSeconds() - cpuBefore;
    var (finalRss, hwm) = collector.Memory();

    using var http = new HttpClient { BaseAddress = collector.Http };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", CollectorProcess.ApiToken);
    var incidents = JsonDocument.Parse(await http.GetStringAsync("/api/v1/incidents?status=open&limit=1000")).RootElement.GetArrayLength();

    static double Percentile(IReadOnlyCollection<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    var steady = "";
    if (steadyFrom is not null && steadyTo is not null)
    {
        var (from, to) = (await steadyFrom, await steadyTo);
        steady = string.Create(CultureInfo.InvariantCulture,
            $"\nsteady state             {(to.Acked - from.Acked) / (double)seconds:N0} events/s acked, {(to.Sent - from.Sent) / (double)seconds:N0} sent, from {warmup} s to {warmup + seconds} s (in flight: {from.InFlight:N0} at the start, {to.InFlight:N0} at the end)");
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
        agents {agents}, offered {rate:N0} events/s for {warmup + seconds} s ({warmup} s warm-up) over {connections} HTTP/2 connections
        sent {replay.Sent:N0}, acked {replay.Acked:N0} events in {elapsed.TotalSeconds:0.0} s{stopped}
        whole run                {replay.Acked / elapsed.TotalSeconds:N0} events/s{steady}
        symptom -> incident      p50 {Percentile(replay.IncidentLatencyMs, 0.5):0} ms, p99 {Percentile(replay.IncidentLatencyMs, 0.99):0} ms ({replay.IncidentLatencyMs.Count} first symptoms; open incidents on REST: {incidents})
        batch ack                p50 {Percentile(replay.AckLatencyMs, 0.5):0} ms, p99 {Percentile(replay.AckLatencyMs, 0.99):0} ms
        collector CPU            {cpu:0.0} s ({cpu / elapsed.TotalSeconds * 100:0} % of one core)
        collector RSS            {finalRss / 1048576.0:0} MiB at the end, peak sampled {peakRss / 1048576.0:0} MiB, VmHWM {hwm / 1048576.0:0} MiB
        """));
    return 0;
}
finally
{
    data.Delete(recursive: true);
}
