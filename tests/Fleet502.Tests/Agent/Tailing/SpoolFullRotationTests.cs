using System.Text;
using Fleet502.Agent.Tailing;
using Fleet502.Tests.Collector.Infrastructure;
using Fleet502.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Fleet502.Tests.Agent.Tailing;

/// <summary>
/// While the spool is full the source stops reading (the files are the buffer) and only calls
/// <see cref="LogTailer.Track"/>: rotations during that time must lose nothing while the agent runs,
/// and what rotation does take away (deleted files at a stop, a truncation without a copy) is counted
/// and logged, never dropped silently. Real files, real renames, truncates and deletes.
/// </summary>
public sealed class SpoolFullRotationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fleet502-spoolfull-").FullName;
    private readonly RecordingLoggerProvider _logs = new();

    private string Log => Path.Combine(_dir, "error.log");

    [Fact]
    public void Two_rotations_with_deletes_while_reading_is_stopped_lose_no_line()
    {
        using var tailer = NewTailer();
        var seen = new Dictionary<int, int>();
        using var writer = new AppendOnlyWriter(Log);
        var id = 0;
        Write(writer, ref id, 100);
        tailer.Poll((_, l, _, _) => Count(seen, l));

        // Reading stops (spool full). nginx keeps writing; logrotate renames, nginx reopens, twice, and
        // the older rotation is compressed away (deleted). The file created by the first rotation lives
        // and dies entirely while nothing is read.
        Write(writer, ref id, 100);
        tailer.Track();
        File.Move(Log, Log + ".1");
        writer.Reopen();
        Write(writer, ref id, 100);
        tailer.Track();
        File.Delete(Log + ".1");
        File.Move(Log, Log + ".1");
        writer.Reopen();
        Write(writer, ref id, 100);
        tailer.Track();
        File.Delete(Log + ".1");

        // The spool has room again.
        for (var i = 0; i < 5; i++)
        {
            tailer.Poll((_, l, _, _) => Count(seen, l), forceDiscovery: true);
        }

        AssertExactlyOnce(seen, id);
        Assert.Equal(0, tailer.LostLines);
        Assert.Equal(0, tailer.LostBytes);
    }

    [Fact]
    public void A_copytruncate_while_reading_is_stopped_keeps_the_copy_even_when_it_is_deleted_before_reading_resumes()
    {
        using var tailer = NewTailer();
        var seen = new Dictionary<int, int>();
        using var writer = new AppendOnlyWriter(Log);
        var id = 0;
        Write(writer, ref id, 100);
        tailer.Poll((_, l, _, _) => Count(seen, l));

        Write(writer, ref id, 100);
        tailer.Track();
        // copytruncate then compress: the copy exists only until gzip deletes it.
        File.Copy(Log, Log + ".1");
        File.WriteAllBytes(Log, []);
        tailer.Track();
        File.Delete(Log + ".1");
        Write(writer, ref id, 100);

        for (var i = 0; i < 3; i++)
        {
            tailer.Poll((_, l, _, _) => Count(seen, l));
        }

        AssertExactlyOnce(seen, id);
        Assert.Equal(0, tailer.LostBytes);
    }

    [Fact]
    public void Unread_lines_of_a_deleted_rotated_file_are_counted_and_logged_at_stop_and_a_truncation_without_copy_counts_its_bytes()
    {
        using var tailer = NewTailer();
        var seen = new Dictionary<int, int>();
        using (var writer = new AppendOnlyWriter(Log))
        {
            var id = 0;
            Write(writer, ref id, 10);
            tailer.Poll((_, l, _, _) => Count(seen, l));
            // Spool full: 250 lines (and a partial one) land, the file is rotated and deleted, the agent stops.
            Write(writer, ref id, 250);
            writer.WriteRaw("partial id=999"u8.ToArray());
            tailer.Track();
            File.Move(Log, Log + ".1");
            writer.Reopen();
            tailer.Track();
            File.Delete(Log + ".1");
        }

        Assert.Equal(251, tailer.CountUnreadInDeletedFiles());
        Assert.Equal(251, tailer.LostLines);
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("Dropping 251 unread lines", StringComparison.Ordinal));

        // A plain truncate (no copy anywhere) of the new file while stopped: the unread bytes are counted.
        File.WriteAllText(Log, string.Concat(Enumerable.Range(0, 20).Select(i => $"line id={1000 + i}\n")));
        tailer.Track();
        var length = new FileInfo(Log).Length;
        File.WriteAllBytes(Log, []);
        tailer.Track();

        Assert.Equal(length, tailer.LostBytes - LostBytesOfFirstFile(tailer));
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("no copy holds the rest", StringComparison.Ordinal));
        Assert.Equal(10, seen.Count);
    }

    // 250 lines "line id=N\n" for N in 10..259 plus "partial id=999".
    private static long LostBytesOfFirstFile(LogTailer tailer) =>
        Enumerable.Range(10, 250).Sum(i => Encoding.ASCII.GetByteCount($"line id={i}\n")) + "partial id=999".Length;

    private static void Write(AppendOnlyWriter writer, ref int id, int lines)
    {
        for (var i = 0; i < lines; i++)
        {
            writer.WriteLine($"line id={id++}");
        }
    }

    private static void Count(Dictionary<int, int> seen, ReadOnlySpan<byte> line)
    {
        var at = line.LastIndexOf("id="u8);
        Assert.True(at >= 0, "a line without an id: " + Encoding.UTF8.GetString(line));
        var id = int.Parse(line[(at + 3)..]);
        seen[id] = seen.GetValueOrDefault(id) + 1;
    }

    private static void AssertExactlyOnce(Dictionary<int, int> seen, int count)
    {
        var missing = Enumerable.Range(0, count).Where(i => !seen.ContainsKey(i)).ToList();
        var duplicated = seen.Where(kv => kv.Value > 1).Select(kv => kv.Key).ToList();
        Assert.True(missing.Count == 0 && duplicated.Count == 0,
            $"{missing.Count} missing (first {string.Join(',', missing.Take(10))}), {duplicated.Count} duplicated (first {string.Join(',', duplicated.Take(10))})");
    }

    private LogTailer NewTailer() =>
        new([Log], new TailerSettings { ReadFromStart = true, DiscoveryInterval = TimeSpan.Zero, RotateWait = TimeSpan.FromMinutes(5) },
            new CheckpointStore(Path.Combine(_dir, "state"), TimeProvider.System), TimeProvider.System, _logs.CreateLogger("tailer"));

    public void Dispose()
    {
        _logs.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
