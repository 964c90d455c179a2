using System.Globalization;
using Fleet502.Agent.Configuration;
using Fleet502.Agent.Shipping;
using Fleet502.Agent.Sources.NginxAccessLog;
using Fleet502.Agent.Sources.NginxConfig;
using Fleet502.Agent.Tailing;
using Fleet502.Protos.V1;
using Fleet502.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet502.Tests.Agent.Sources.NginxAccessLog;

/// <summary>
/// <see cref="AccessLogSource"/> as the agent runs it, with a real file and a queue of four: while the queue
/// is full the source stops reading (the log files are the buffer) and only calls <c>LogTailer.Track()</c>, as
/// the error source does. Lines written meanwhile, in files rotated and deleted before reading resumes,
/// must all reach the queue once it drains, each exactly once. Real files, renames and deletes.
/// </summary>
public sealed class AccessLogSourceQueueFullTests : IDisposable
{
    private const int QueueCapacity = 4;
    private const string Format = "'[$time_local] $status $upstream_addr $upstream_status $upstream_header_time'";
    private static readonly DateTimeOffset Base = new(2024, 5, 1, 10, 0, 0, TimeSpan.Zero);

    private readonly string _dir = Directory.CreateTempSubdirectory("fleet502-access-full-").FullName;

    private string Log => Path.Combine(_dir, "access.log");

    [Fact]
    public async Task Lines_written_and_rotated_away_while_the_queue_is_full_arrive_exactly_once_when_it_drains()
    {
        var queue = new EventQueue(QueueCapacity);
        var options = Options.Create(new AgentOptions
        {
            StateDirectory = Path.Combine(_dir, "state"),
            Nginx = { AccessLogs = [Log], LogFormat = Format, ReadFromStart = true, ReadConfig = false, PollInterval = TimeSpan.FromMilliseconds(50) },
        });
        using var writer = new AppendOnlyWriter(Log);
        var id = 0;
        // One line per 10 s period: each line is one window, its start names the line.
        Write(writer, ref id, 10);

        using var source = new AccessLogSource(queue, new PendingOffsets(), new NginxConfigReader(options, NullLogger<NginxConfigReader>.Instance),
            options, NullLogger<AccessLogSource>.Instance, TimeProvider.System);
        await source.StartAsync(CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            // Ten windows for a queue of four: the source is now blocked, not reading.
            while (queue.Reader.Count < QueueCapacity)
            {
                await Task.Delay(20, timeout.Token);
            }

            // nginx keeps writing; logrotate renames and nginx reopens, twice, and the older rotation is
            // deleted (compressed away). The file created by the first rotation lives and dies while nothing
            // is read: only Track() can have opened it (each new file is deleted only once Track() holds it).
            Write(writer, ref id, 10);
            File.Move(Log, Log + ".1");
            writer.Reopen();
            Write(writer, ref id, 10);
            await OpenForReadingAsync(Log, timeout.Token);
            File.Delete(Log + ".1");
            File.Move(Log, Log + ".1");
            writer.Reopen();
            Write(writer, ref id, 10);
            await OpenForReadingAsync(Log, timeout.Token);
            File.Delete(Log + ".1");
            Assert.Equal(QueueCapacity, queue.Reader.Count);

            // The collector is back: drain.
            var seen = new Dictionary<int, int>();
            using (var drain = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token))
            {
                drain.CancelAfter(TimeSpan.FromSeconds(10));
                try
                {
                    while (seen.Count < id)
                    {
                        Count(seen, await queue.Reader.ReadAsync(drain.Token));
                    }
                }
                catch (OperationCanceledException) when (!timeout.IsCancellationRequested)
                {
                    // Some never came: the assertion below says which.
                }
            }

            // Nothing more comes (no line twice), also once the source has polled again a few times.
            await Task.Delay(500, timeout.Token);
            while (queue.Reader.TryRead(out var extra))
            {
                Count(seen, extra);
            }

            var missing = Enumerable.Range(0, id).Where(i => !seen.ContainsKey(i)).ToList();
            var duplicated = seen.Where(kv => kv.Value > 1).Select(kv => kv.Key).ToList();
            var unexpected = seen.Keys.Where(i => i < 0 || i >= id).ToList();
            Assert.True(missing.Count == 0 && duplicated.Count == 0 && unexpected.Count == 0,
                $"{missing.Count} missing (first {string.Join(',', missing.Take(10))}), {duplicated.Count} duplicated (first {string.Join(',', duplicated.Take(10))}), unexpected windows {string.Join(',', unexpected.Take(10))}");
        }
        finally
        {
            await source.StopAsync(CancellationToken.None);
        }
    }

    // The blocked source calls Track() every 250 ms: wait until it has opened the file now at <paramref name="path"/>
    // (this process holds it open read-only; the writer's descriptor is write-only), as /proc shows.
    private static async Task OpenForReadingAsync(string path, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!OpenForReading(path))
        {
            Assert.True(DateTime.UtcNow < deadline, $"while the queue was full, the source never opened the new {path} (no LogTailer.Track()?)");
            await Task.Delay(20, cancellationToken);
        }
    }

    private static bool OpenForReading(string path)
    {
        foreach (var fd in Directory.EnumerateFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget != path)
                {
                    continue;
                }

                var flags = File.ReadLines(Path.Combine("/proc/self/fdinfo", Path.GetFileName(fd))).First(l => l.StartsWith("flags:", StringComparison.Ordinal));
                if ((Convert.ToInt32(flags["flags:".Length..].Trim(), 8) & 3) == 0)
                {
                    return true;
                }
            }
            catch (IOException)
            {
                // The descriptor closed while we looked.
            }
        }

        return false;
    }

    private static void Write(AppendOnlyWriter writer, ref int id, int lines)
    {
        for (var i = 0; i < lines; i++, id++)
        {
            var time = Base.AddSeconds(10 * id).ToString("dd/MMM/yyyy:HH:mm:ss", CultureInfo.InvariantCulture);
            writer.WriteLine($"[{time} +0000] 502 10.0.0.1:80 502 -");
        }
    }

    private static void Count(Dictionary<int, int> seen, EncodedEvent encoded)
    {
        var evt = encoded.ToEvent();
        EncodedEventPool.Return(encoded);
        Assert.Equal(Event.BodyOneofCase.AccessWindow, evt.BodyCase);
        Assert.Equal(1ul, evt.AccessWindow.Requests);
        var line = (int)((evt.AccessWindow.Start.Seconds - Base.ToUnixTimeSeconds()) / 10);
        seen[line] = seen.GetValueOrDefault(line) + 1;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
