using System.Text;
using Fleet502.Agent.Tailing;
using Fleet502.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Fleet502.Tests.Agent.Tailing;

/// <summary>
/// Model-based, in the spirit of Vector's file-source tests: random sequences of write, rename
/// rotation, copytruncate, delete, agent restart and polls against real files; the model says
/// every line written must be delivered exactly once.
/// </summary>
public sealed class TailingModelTests(ITestOutputHelper output)
{
    private enum Op
    {
        Write,
        RenameRotate,
        CopyTruncate,
        DeleteAndReopen,
        Restart,
        Poll,
    }

    [Fact]
    public void Random_write_rotate_truncate_delete_restart_sequences_deliver_every_line_exactly_once()
    {
        for (var seed = 1; seed <= 100; seed++)
        {
            RunSequence(seed, steps: 40);
        }
    }

    private void RunSequence(int seed, int steps)
    {
        var random = new Random(seed);
        var dir = Directory.CreateTempSubdirectory("fleet502-model-").FullName;
        var log = Path.Combine(dir, "app.log");
        var state = Path.Combine(dir, "state");
        var settings = new TailerSettings { ReadFromStart = true, RotateWait = TimeSpan.Zero, DiscoveryInterval = TimeSpan.Zero };
        var seen = new Dictionary<int, int>();
        var trace = new List<string>();
        var writer = new AppendOnlyWriter(log);
        var store = new CheckpointStore(state, TimeProvider.System);
        var tailer = NewTailer();
        var nextId = 0;
        var rotations = 0;
        var lastWasPoll = false;
        try
        {
            for (var step = 0; step < steps; step++)
            {
                var op = (Op)random.Next(Enum.GetValues<Op>().Length);
                // The model's one assumption: the agent looks at the files between two rotations
                // (inotify wakes it within milliseconds; logrotate runs hourly or daily). A file
                // created and rotated away unseen, or deleted unseen, cannot be read by anyone.
                if (op is Op.Restart or Op.RenameRotate or Op.CopyTruncate or Op.DeleteAndReopen && !lastWasPoll)
                {
                    op = Op.Poll;
                }

                trace.Add(op.ToString());
                switch (op)
                {
                    case Op.Write:
                        for (var n = random.Next(1, 30); n > 0; n--)
                        {
                            writer.WriteLine($"2026/11/24 10:00:{nextId % 60:00} [error] 7#7: *{nextId} x id={nextId++}");
                        }

                        break;
                    case Op.RenameRotate:
                        File.Move(log, $"{log}.{++rotations}");
                        // nginx keeps writing to the renamed file until it reopens its logs.
                        for (var n = random.Next(0, 5); n > 0; n--)
                        {
                            writer.WriteLine($"late id={nextId++}");
                        }

                        writer.Reopen();
                        break;
                    case Op.CopyTruncate:
                        File.Copy(log, $"{log}.{++rotations}");
                        using (var truncate = new FileStream(log, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
                        {
                            truncate.SetLength(0);
                        }

                        break;
                    case Op.DeleteAndReopen:
                        File.Delete(log);
                        writer.Reopen();
                        break;
                    case Op.Restart:
                        tailer.Dispose();
                        store = new CheckpointStore(state, TimeProvider.System);
                        tailer = NewTailer();
                        break;
                    case Op.Poll:
                        Poll(tailer);
                        break;
                }

                lastWasPoll = op == Op.Poll;
            }

            Poll(tailer);
            Poll(tailer);
            var missing = Enumerable.Range(0, nextId).Where(i => !seen.ContainsKey(i)).ToList();
            var duplicated = seen.Where(kv => kv.Value > 1).Select(kv => kv.Key).ToList();
            if (missing.Count > 0 || duplicated.Count > 0)
            {
                output.WriteLine($"seed {seed}: {string.Join(' ', trace)}");
            }

            Assert.True(missing.Count == 0 && duplicated.Count == 0,
                $"seed {seed}: {missing.Count} missing ({string.Join(',', missing.Take(10))}), {duplicated.Count} duplicated ({string.Join(',', duplicated.Take(10))}); ops: {string.Join(' ', trace)}");
        }
        finally
        {
            tailer.Dispose();
            writer.Dispose();
            Directory.Delete(dir, recursive: true);
        }

        LogTailer NewTailer() => new([log], settings, store, TimeProvider.System, NullLogger.Instance);

        void Poll(LogTailer t)
        {
            t.Poll((_, line, _, _) =>
            {
                var text = Encoding.UTF8.GetString(line);
                var id = int.Parse(text[(text.LastIndexOf("id=", StringComparison.Ordinal) + 3)..], System.Globalization.CultureInfo.InvariantCulture);
                seen[id] = seen.GetValueOrDefault(id) + 1;
            }, forceDiscovery: true);
            // Everything read is acknowledged at once here: checkpoints follow the read offset.
            store.Save(t.Checkpoints(f => f.Offset));
        }
    }
}
