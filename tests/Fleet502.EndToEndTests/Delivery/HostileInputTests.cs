using System.Globalization;
using System.Text;
using Fleet502.EndToEndTests.Harness;
using Xunit.Abstractions;

namespace Fleet502.EndToEndTests.Delivery;

/// <summary>
/// The real agent, run as <c>nobody</c> (setpriv) so that file permissions apply, follows a good
/// error.log next to an unreadable one (root, 0600), a FIFO, and a file that is replaced by a
/// directory and another by a FIFO mid-run; the good file itself carries a 10 MB line and binary
/// garbage. Each problem is logged, the agent keeps running, and every line of the good file reaches
/// the collector exactly once.
/// </summary>
public sealed class HostileInputTests(ITestOutputHelper output)
{
    [Fact]
    public async Task As_nobody_permission_denied_fifos_directories_a_10_MB_line_and_garbage_are_reported_and_the_good_file_keeps_flowing()
    {
        using var dir = new TempDir("e2e-hostile");
        // nobody must reach the logs and write its state; the collector (root) keeps its own files here too.
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1ED); // 0755
        var state = dir.File("agent-state");
        Directory.CreateDirectory(state);
        File.SetUnixFileMode(state, (UnixFileMode)0x1FF); // 0777
        var good = dir.File("good.log");
        var secret = dir.File("secret.log");
        var pipe = dir.File("pipe.log");
        var toDirectory = dir.File("becomes-dir.log");
        var toFifo = dir.File("becomes-fifo.log");
        await File.WriteAllTextAsync(good, "");
        await File.WriteAllTextAsync(secret, Line(-1));
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite); // 0600, owned by root
        await MkfifoAsync(pipe);
        await File.WriteAllTextAsync(toDirectory, "");
        await File.WriteAllTextAsync(toFifo, "");

        var collector = await CollectorServer.StartAsync(dir, webhookUrl: null);
        var configPath = dir.File("agent.json");
        await File.WriteAllTextAsync(configPath, $$"""
            {
              "AgentId": "e2e-hostile", "Hostname": "e2e-hostile",
              "StateDirectory": "{{state}}",
              "Collector": { "Url": "{{collector.GrpcUrl}}", "Token": "{{CollectorServer.AgentToken}}", "MaxReconnectDelay": "00:00:01" },
              "Nginx": {
                "ErrorLogs": ["{{good}}", "{{secret}}", "{{pipe}}", "{{toDirectory}}", "{{toFifo}}"], "AccessLogs": ["{{dir.File("access.log")}}"],
                "ReadConfig": false, "CoalesceWindow": "00:00:00", "PollInterval": "00:00:00.050"
              }
            }
            """);
        File.SetUnixFileMode(configPath, (UnixFileMode)0x1A4); // 0644
        var agent = new ChildProcess("agent (nobody)", "setpriv",
            ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "dotnet", RepoPaths.AgentDll, "--config", configPath],
            new Dictionary<string, string> { ["HOME"] = state, ["DOTNET_CLI_HOME"] = state });
        try
        {
            await agent.WaitForLineAsync(l => l.Contains("Connected to the collector", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            await agent.WaitForLineAsync(l => l.Contains("Following", StringComparison.Ordinal) && l.Contains("good.log", StringComparison.Ordinal), TimeSpan.FromSeconds(30));

            var id = 0;
            await using (var writer = new FileStream(good, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
            {
                for (; id < 500; id++)
                {
                    writer.Write(Encoding.UTF8.GetBytes(Line(id)));
                }

                // 10 MB without a newline until the end, then binary garbage (no newline inside) as a line.
                writer.Write(Encoding.ASCII.GetBytes(new string('A', 10 * 1024 * 1024) + "\n"));
                var garbage = new byte[64 * 1024];
                new Random(5).NextBytes(garbage);
                writer.Write([.. garbage.Where(b => b != (byte)'\n'), (byte)'\n']);
                await writer.FlushAsync();

                // Followed files replaced under the agent: one by a directory, one by a FIFO.
                File.Delete(toDirectory);
                Directory.CreateDirectory(toDirectory);
                File.Delete(toFifo);
                await MkfifoAsync(toFifo);

                for (; id < 1000; id++)
                {
                    writer.Write(Encoding.UTF8.GetBytes(Line(id)));
                }
            }

            await DeliveryTests.WaitUntilDelivered(collector, id);
            await agent.WaitForLineAsync(l => l.Contains(toDirectory, StringComparison.Ordinal) && l.Contains("not a regular file", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
            await agent.WaitForLineAsync(l => l.Contains(toFifo, StringComparison.Ordinal) && l.Contains("not a regular file", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
            Assert.False(agent.HasExited, "the agent died");
            var log = agent.Output;
            var denied = log.Split('\n').First(l => l.Contains($"Cannot follow {secret}", StringComparison.Ordinal));
            Assert.Contains("denied", denied, StringComparison.OrdinalIgnoreCase);
            Assert.Contains($"Cannot follow {pipe}", log, StringComparison.Ordinal);
            output.WriteLine(denied.Trim());

            await collector.StopAsync();
            var ids = DeliveryTests.ReadStoredIds(dir.File("collector.db"));
            var missing = Enumerable.Range(0, id).Where(i => !ids.ContainsKey(i)).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} missing (first {string.Join(',', missing.Take(10))})");
            Assert.DoesNotContain(ids, kv => kv.Value > 1);
            // The unreadable file's line never arrived: nobody could not read it.
            Assert.False(ids.ContainsKey(-1));
            Assert.Equal(id, ids.Count);
        }
        catch (Exception)
        {
            output.WriteLine(collector.Output);
            output.WriteLine(agent.Output);
            throw;
        }
        finally
        {
            agent.Dispose();
            collector.Dispose();
        }
    }

    private static string Line(int id) =>
        $"{DateTime.Now.ToString("yyyy/MM/dd HH:mm:ss", CultureInfo.InvariantCulture)} [error] 7#7: *{id} connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: e2e, request: \"GET /id/{id} HTTP/1.1\", upstream: \"http://127.0.0.1:9/id/{id}\", host: \"e2e\"\n";

    private static async Task MkfifoAsync(string path)
    {
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path])!;
        await mkfifo.WaitForExitAsync();
        Assert.Equal(0, mkfifo.ExitCode);
    }
}
