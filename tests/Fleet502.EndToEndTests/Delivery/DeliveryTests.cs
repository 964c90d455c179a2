using System.Globalization;
using System.Text;
using Fleet502.EndToEndTests.Harness;
using Fleet502.Protos.V1;
using LiteDB;
using Xunit.Abstractions;

namespace Fleet502.EndToEndTests.Delivery;

/// <summary>
/// Every line nginx writes reaches the collector exactly once, whatever happens to the programs:
/// the agent killed with -9 and restarted, a real logrotate rotation, the collector stopped for a
/// while (the agent spools), the collector killed with -9. Real programs, a real error.log, the
/// collector's real LiteDB file.
/// </summary>
public sealed class DeliveryTests(ITestOutputHelper output)
{
    private const int LinesPerSecond = 500;

    [Fact]
    public async Task Every_line_arrives_exactly_once_across_agent_kill_9_logrotate_collector_outage_and_collector_kill_9()
    {
        using var dir = new TempDir("e2e-delivery");
        var errorLog = dir.File("error.log");
        await File.WriteAllTextAsync(errorLog, "");
        var collector = await CollectorServer.StartAsync(dir, webhookUrl: null);
        var (grpcPort, httpPort) = (collector.GrpcPort, collector.HttpPort);
        // One event per line (no coalescing) so each line's id can be checked.
        var agent = await AgentRunner.StartAsync(dir, collector.GrpcUrl, errorLog, coalesceWindow: "00:00:00");
        using var stopWriting = new CancellationTokenSource();
        var writer = Task.Run(() => WriteLines(errorLog, stopWriting.Token));
        var log = new StringBuilder();
        try
        {
            await Task.Delay(2000);
            agent.Kill();
            log.AppendLine("agent killed -9");
            await Task.Delay(1000);
            agent.Dispose();
            agent = await AgentRunner.StartAsync(dir, collector.GrpcUrl, errorLog, coalesceWindow: "00:00:00");
            log.AppendLine("agent restarted");

            await Task.Delay(1000);
            await RotateAsync(dir, errorLog);
            log.AppendLine("rotated by logrotate (create + reopen)");

            await Task.Delay(1000);
            await collector.StopAsync();
            log.AppendLine("collector stopped");
            await Task.Delay(3000);
            collector.Dispose();
            collector = await CollectorServer.StartAsync(dir, null, grpcPort, httpPort);
            log.AppendLine("collector restarted");

            await Task.Delay(2000);
            collector.Kill();
            log.AppendLine("collector killed -9");
            await Task.Delay(1000);
            collector.Dispose();
            collector = await CollectorServer.StartAsync(dir, null, grpcPort, httpPort);
            log.AppendLine("collector restarted");

            await Task.Delay(2000);
            await stopWriting.CancelAsync();
            var written = await writer;
            log.AppendLine($"{written} lines written");

            await WaitUntilDelivered(collector, written);
            await collector.StopAsync();
            var ids = ReadStoredIds(dir.File("collector.db"));

            var missing = Enumerable.Range(0, written).Where(i => !ids.ContainsKey(i)).ToList();
            var duplicated = ids.Where(kv => kv.Value > 1).ToList();
            output.WriteLine($"{written} written, {ids.Count} distinct stored, {missing.Count} missing, {duplicated.Count} duplicated");
            Assert.True(missing.Count == 0 && duplicated.Count == 0,
                $"{missing.Count} missing (first {string.Join(',', missing.Take(10))}), {duplicated.Count} duplicated (first {string.Join(',', duplicated.Take(10).Select(d => d.Key))})\n{log}");
            Assert.Equal(written, ids.Count);
        }
        catch (Exception)
        {
            output.WriteLine(log.ToString());
            output.WriteLine(collector.Output);
            output.WriteLine(agent.Output);
            throw;
        }
        finally
        {
            await stopWriting.CancelAsync();
            agent.Dispose();
            collector.Dispose();
        }
    }

    /// <summary>Real logrotate, `create` with a postrotate that tells the writer to reopen, as nginx gets USR1.</summary>
    private static async Task RotateAsync(TempDir dir, string errorLog)
    {
        var conf = dir.File("logrotate.conf");
        await File.WriteAllTextAsync(conf, $$"""
            {{errorLog}} {
                rotate 5
                create 0644
                missingok
                postrotate
                    touch {{errorLog}}.reopen
                endscript
            }
            """);
        using var logrotate = System.Diagnostics.Process.Start("logrotate", ["-f", "-s", dir.File("logrotate.state"), conf])!;
        await logrotate.WaitForExitAsync();
        Assert.Equal(0, logrotate.ExitCode);
    }

    private static int WriteLines(string path, CancellationToken stop)
    {
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var id = 0;
        while (!stop.IsCancellationRequested)
        {
            while (id < clock.Elapsed.TotalSeconds * LinesPerSecond)
            {
                var time = DateTime.Now.ToString("yyyy/MM/dd HH:mm:ss", CultureInfo.InvariantCulture);
                var line = $"{time} [error] 7#7: *{id} connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: e2e, request: \"GET /id/{id} HTTP/1.1\", upstream: \"http://127.0.0.1:9/id/{id}\", host: \"e2e\"\n";
                stream.Write(Encoding.UTF8.GetBytes(line));
                id++;
            }

            stream.Flush();
            if (File.Exists(path + ".reopen"))
            {
                // nginx reopens its logs after logrotate; until then it keeps writing to the renamed file.
                File.Delete(path + ".reopen");
                stream.Dispose();
                stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            }

            Thread.Sleep(5);
        }

        stream.Dispose();
        return id;
    }

    // Every line is a connect() failure toward 127.0.0.1:9: the incident's error count reaches the
    // number of lines written once everything is in (or the wait gives up and the ids tell what is missing).
    internal static async Task WaitUntilDelivered(CollectorServer collector, int written)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            var incidents = await collector.GetJsonAsync("/api/v1/incidents?status=all");
            var counted = incidents.EnumerateArray().Where(i => i.GetProperty("target").GetString() == "127.0.0.1:9")
                .Sum(i => i.GetProperty("error_count").GetInt64());
            if (counted >= written)
            {
                return;
            }

            await Task.Delay(500);
        }
    }

    /// <summary>A stored chunk's events: an EventBatch, deflated (codec "deflate").</summary>
    private static IEnumerable<Event> ChunkEvents(BsonDocument chunk)
    {
        Assert.Equal("deflate", chunk["codec"].AsString);
        using var inflate = new System.IO.Compression.DeflateStream(new MemoryStream(chunk["data"].AsBinary), System.IO.Compression.CompressionMode.Decompress);
        return EventBatch.Parser.ParseFrom(inflate).Events;
    }

    internal static Dictionary<int, int> ReadStoredIds(string databasePath)
    {
        var ids = new Dictionary<int, int>();
        using var db = new LiteDatabase(new ConnectionString { Filename = databasePath, ReadOnly = true });
        foreach (var evt in db.GetCollection("event_chunks").FindAll().SelectMany(ChunkEvents))
        {
            if (evt.UpstreamError is not { } error)
            {
                continue;
            }

            var request = error.Request; // "GET /id/123 HTTP/1.1"
            var start = request.IndexOf("/id/", StringComparison.Ordinal) + 4;
            var end = request.IndexOf(' ', start);
            var id = int.Parse(request[start..end], CultureInfo.InvariantCulture);
            ids[id] = ids.GetValueOrDefault(id) + (int)error.Count;
        }

        return ids;
    }
}
