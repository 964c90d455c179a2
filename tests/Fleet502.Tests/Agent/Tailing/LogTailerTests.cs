using System.Diagnostics;
using System.Text;
using Fleet502.Agent.Tailing;
using Fleet502.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet502.Tests.Agent.Tailing;

/// <summary>
/// Real files in temp dirs, real logrotate, a writer that appends like nginx (O_APPEND, reopen
/// after rotation): every line must arrive exactly once.
/// </summary>
public sealed class LogTailerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fleet502-tail-").FullName;

    private string Log => Path.Combine(_dir, "app.log");

    [Fact]
    public void Partial_lines_wait_for_their_newline_and_long_lines_are_cut_and_flagged()
    {
        using var tailer = NewTailer(new TailerSettings { MaxLineBytes = 1024, ReadFromStart = true });
        var lines = new List<(string Text, long Offset, bool Truncated)>();
        void Collect(TailedFile _, ReadOnlySpan<byte> line, long offset, bool truncated) => lines.Add((Encoding.UTF8.GetString(line), offset, truncated));
        using var writer = new AppendOnlyWriter(Log);

        writer.WriteRaw("first\nsec"u8.ToArray());
        tailer.Poll(Collect);
        Assert.Equal([("first", 0L, false)], lines);

        writer.WriteRaw(Encoding.ASCII.GetBytes("ond\n" + new string('x', 5000) + "\nafter\n"));
        tailer.Poll(Collect);

        Assert.Equal(("second", 6L, false), lines[1]);
        Assert.Equal(1024, lines[2].Text.Length);
        Assert.True(lines[2].Truncated);
        Assert.Equal(("after", 13L + 5001, false), lines[3]);
    }

    [Fact]
    public void A_10_MB_line_and_binary_garbage_are_cut_or_passed_as_bytes_and_never_stall_the_file_or_others()
    {
        using var tailer = NewTailer(new TailerSettings { ReadFromStart = true }, pattern: Path.Combine(_dir, "*.log"));
        var seen = new Dictionary<int, int>();
        var cut = 0;
        using var hostile = new AppendOnlyWriter(Path.Combine(_dir, "hostile.log"));
        using var calm = new AppendOnlyWriter(Log);
        hostile.WriteLine("line id=0");
        hostile.WriteRaw(Encoding.ASCII.GetBytes(new string('A', 10 * 1024 * 1024) + "\n"));
        var garbage = new byte[64 * 1024];
        new Random(7).NextBytes(garbage);
        garbage = garbage.Where(b => b != (byte)'\n').ToArray();
        hostile.WriteRaw([.. garbage, (byte)'\n']);
        hostile.WriteLine("line id=1");
        calm.WriteLine("line id=2");

        // A 10 MB line takes several read budgets; the other file flows meanwhile.
        for (var i = 0; i < 100 && seen.Count < 3; i++)
        {
            tailer.Poll((_, line, _, truncated) =>
            {
                if (truncated)
                {
                    cut++;
                    Assert.Equal(64 * 1024, line.Length);
                }
                else if (line.IndexOf("id="u8) >= 0 && line.Length < 100)
                {
                    Count(seen, line);
                }
            });
        }

        AssertExactlyOnce(seen, 3);
        Assert.Equal(1, cut); // the 10 MB line, cut at 64 KiB; the garbage line fits and passes as bytes
        Assert.Equal(1, tailer.Files.Single(f => f.Path.EndsWith("hostile.log", StringComparison.Ordinal)).TruncatedLines);
    }

    [Fact]
    public void Logrotate_create_with_delaycompress_under_load_delivers_every_line_exactly_once()
    {
        var config = $$"""
            {{Log}} {
                rotate 20
                create 0644
                compress
                delaycompress
                missingok
                postrotate
                    touch {{Path.Combine(_dir, "reopen")}}
                endscript
            }
            """;
        RunRotationUnderLoad(config, pauseWriterWhileRotating: false, pattern: Path.Combine(_dir, "app.log*"));
    }

    [Fact]
    public void Logrotate_copytruncate_under_load_delivers_every_line_exactly_once()
    {
        // copytruncate loses what is written between its copy and its truncate (logrotate's own
        // window, documented by logrotate); the writer pauses only for that instant. Everything
        // written before it, read or not yet read by the tailer, must arrive exactly once.
        var config = $$"""
            {{Log}} {
                rotate 20
                copytruncate
                missingok
            }
            """;
        RunRotationUnderLoad(config, pauseWriterWhileRotating: true, pattern: Log);
    }

    [Fact]
    public void Nginx_style_rename_then_reopen_reads_the_old_file_to_its_end_and_the_new_one_from_its_start()
    {
        using var tailer = NewTailer(new TailerSettings { ReadFromStart = true, RotateWait = TimeSpan.FromMilliseconds(200), DiscoveryInterval = TimeSpan.Zero });
        var seen = new Dictionary<int, int>();
        using var writer = new AppendOnlyWriter(Log);
        var id = 0;
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 500; i++)
            {
                writer.WriteLine($"line id={id++}");
            }

            tailer.Poll((_, l, _, _) => Count(seen, l));
            File.Move(Log, Log + "." + round);
            // nginx keeps writing to the renamed file until it reopens its logs.
            for (var i = 0; i < 500; i++)
            {
                writer.WriteLine($"line id={id++}");
            }

            tailer.Poll((_, l, _, _) => Count(seen, l));
            writer.Reopen();
            for (var i = 0; i < 500; i++)
            {
                writer.WriteLine($"line id={id++}");
            }
        }

        DrainUntilIdle(tailer, seen);
        AssertExactlyOnce(seen, id);
    }

    [Fact]
    public void A_restart_resumes_at_the_checkpoint_and_reads_files_that_appeared_meanwhile_from_their_start()
    {
        var seen = new Dictionary<int, int>();
        var id = 0;
        using (var writer = new AppendOnlyWriter(Log))
        {
            using var tailer = NewTailer(new TailerSettings { ReadFromStart = true });
            for (; id < 100; id++)
            {
                writer.WriteLine($"line id={id}");
            }

            tailer.Poll((_, l, _, _) => Count(seen, l));
            new CheckpointStore(State, TimeProvider.System).Save(tailer.Checkpoints(f => f.Offset));

            // Written while the agent is down, plus a new file next to it.
            for (; id < 150; id++)
            {
                writer.WriteLine($"line id={id}");
            }
        }

        using (var other = new AppendOnlyWriter(Path.Combine(_dir, "other.log")))
        {
            for (; id < 170; id++)
            {
                other.WriteLine($"line id={id}");
            }
        }

        using var restarted = NewTailer(new TailerSettings { ReadFromStart = false }, pattern: Path.Combine(_dir, "*.log"));
        restarted.Poll((_, l, _, _) => Count(seen, l));
        AssertExactlyOnce(seen, id);
    }

    [Fact]
    public void A_path_recreated_with_other_content_is_read_from_its_start_even_if_its_inode_is_recycled()
    {
        var seen = new Dictionary<int, int>();
        using (var writer = new AppendOnlyWriter(Log))
        {
            using var tailer = NewTailer(new TailerSettings { ReadFromStart = true });
            for (var i = 0; i < 50; i++)
            {
                writer.WriteLine($"old id={i}");
            }

            tailer.Poll((_, l, _, _) => Count(seen, l));
            new CheckpointStore(State, TimeProvider.System).Save(tailer.Checkpoints(f => f.Offset));
        }

        File.Delete(Log);
        using (var writer = new AppendOnlyWriter(Log))
        {
            for (var i = 50; i < 60; i++)
            {
                writer.WriteLine($"new id={i}");
            }
        }

        using var restarted = NewTailer(new TailerSettings());
        restarted.Poll((_, l, _, _) => Count(seen, l));
        AssertExactlyOnce(seen, 60);
    }

    [Fact]
    public void Compressed_files_directories_and_fifos_matching_a_glob_are_skipped_while_other_files_flow()
    {
        File.WriteAllText(Path.Combine(_dir, "old.log.gz"), "line id=999\n");
        Directory.CreateDirectory(Path.Combine(_dir, "dir.log"));
        using (var mkfifo = Process.Start("mkfifo", Path.Combine(_dir, "pipe.log")))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        using var tailer = NewTailer(new TailerSettings { ReadFromStart = true }, pattern: Path.Combine(_dir, "*.log*"));
        var seen = new Dictionary<int, int>();
        using var writer = new AppendOnlyWriter(Log);
        writer.WriteLine("line id=0");

        tailer.Poll((_, l, _, _) => Count(seen, l));

        AssertExactlyOnce(seen, 1);
        // The FIFO is reported (once); a directory never matches a file glob.
        Assert.Equal(1, tailer.Problems);
        tailer.Poll((_, l, _, _) => Count(seen, l), forceDiscovery: true);
        Assert.Equal(1, tailer.Problems);

        // A directory configured by name in place of a file is reported too.
        using var named = NewTailer(new TailerSettings(), pattern: Path.Combine(_dir, "dir.log"));
        named.Poll((_, l, _, _) => Count(seen, l));
        Assert.Equal(1, named.Problems);
    }

    private void RunRotationUnderLoad(string logrotateConfig, bool pauseWriterWhileRotating, string pattern)
    {
        var confPath = Path.Combine(_dir, "logrotate.conf");
        File.WriteAllText(confPath, logrotateConfig);
        var reopenFlag = Path.Combine(_dir, "reopen");
        // nginx's log exists before the agent starts; the agent re-scans often (in service, inotify wakes it).
        File.WriteAllText(Log, "");
        using var tailer = NewTailer(new TailerSettings
        {
            ReadFromStart = true,
            RotateWait = TimeSpan.FromMilliseconds(500),
            DiscoveryInterval = TimeSpan.FromMilliseconds(100),
        }, pattern);
        var seen = new Dictionary<int, int>();
        var pause = new ManualResetEventSlim(true);
        var paused = new ManualResetEventSlim(false);
        using var stop = new CancellationTokenSource();
        var written = 0;

        var writerThread = new Thread(() =>
        {
            using var writer = new AppendOnlyWriter(Log);
            var clock = Stopwatch.StartNew();
            while (!stop.IsCancellationRequested)
            {
                if (!pause.IsSet)
                {
                    paused.Set();
                    pause.Wait();
                    paused.Reset();
                }

                // ~20,000 lines/s: a burst of 20 per millisecond.
                while (written < clock.ElapsedMilliseconds * 20)
                {
                    writer.WriteLine($"2026/11/24 10:00:00 [error] 7#7: *{written} connect() failed (111: Connection refused) id={written}");
                    written++;
                }

                if (File.Exists(reopenFlag))
                {
                    File.Delete(reopenFlag);
                    writer.Reopen();
                }

                Thread.Sleep(1);
            }
        });
        writerThread.Start();

        var rotations = 0;
        var clock = Stopwatch.StartNew();
        var nextRotation = TimeSpan.FromMilliseconds(400);
        while ((clock.Elapsed < TimeSpan.FromSeconds(3) || rotations < 4) && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            tailer.Poll((_, l, _, _) => Count(seen, l));
            if (clock.Elapsed >= nextRotation)
            {
                if (pauseWriterWhileRotating)
                {
                    pause.Reset();
                    paused.Wait();
                }

                RunLogrotate(confPath);
                rotations++;
                pause.Set();
                nextRotation += TimeSpan.FromMilliseconds(500);
            }

            Thread.Sleep(5);
        }

        stop.Cancel();
        writerThread.Join();
        DrainUntilIdle(tailer, seen);

        Assert.True(rotations >= 4, $"only {rotations} rotations");
        Assert.True(written >= 30_000, $"only {written} lines written: the writer must sustain >= 10,000 lines/s");
        AssertExactlyOnce(seen, written);
    }

    private void RunLogrotate(string confPath)
    {
        using var process = Process.Start(new ProcessStartInfo("logrotate", ["-f", "-s", Path.Combine(_dir, "logrotate.state"), confPath])
        {
            RedirectStandardError = true,
        })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "logrotate failed: " + error);
    }

    private static void DrainUntilIdle(LogTailer tailer, Dictionary<int, int> seen)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            tailer.Poll((_, l, _, _) => Count(seen, l), forceDiscovery: true);
            if (tailer.Files.All(f => !f.Rotated))
            {
                tailer.Poll((_, l, _, _) => Count(seen, l), forceDiscovery: true);
                return;
            }

            Thread.Sleep(20);
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
        Assert.Equal(count, seen.Count);
    }

    private string State => Path.Combine(_dir, "state");

    private LogTailer NewTailer(TailerSettings settings, string? pattern = null) =>
        new([pattern ?? Log], settings, new CheckpointStore(State, TimeProvider.System), TimeProvider.System, NullLogger.Instance);

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
