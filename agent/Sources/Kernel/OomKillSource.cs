using System.ComponentModel;
using System.Diagnostics;
using Fleet502.Agent.Configuration;
using Fleet502.Agent.Shipping;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet502.Agent.Sources.Kernel;

/// <summary>
/// Follows /dev/kmsg and sends an <see cref="OomKill"/> per kernel OOM kill; when /dev/kmsg cannot
/// be read (no CAP_SYSLOG, a container), follows <c>journalctl -k -f -o json</c> instead.
/// </summary>
public sealed partial class OomKillSource(EventQueue queue, ILogger<OomKillSource> logger, TimeProvider time, KernelOptions options) : BackgroundService
{
    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(500);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled)
        {
            return;
        }

        KmsgReader reader;
        try
        {
            reader = KmsgReader.Open(options.KmsgPath);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            if (options.JournalFallback)
            {
                LogFallback(e.Message, options.JournalctlPath);
                await FollowJournalAsync(stoppingToken);
                return;
            }

            // Reported once; every other source keeps working.
            LogUnavailable(e.Message);
            return;
        }

        using (reader)
        {
            var parser = new OomKillParser();
            try
            {
                while (!stoppingToken.IsCancellationRequested)
                {
                    var record = reader.TryRead();
                    if (record is null)
                    {
                        await Task.Delay(IdleWait, time, stoppingToken);
                        continue;
                    }

                    if (!KmsgRecord.TryParse(record, out var r) || parser.Feed(r.Message, r.Microseconds) is not { } kill)
                    {
                        continue;
                    }

                    // kmsg stamps are microseconds since boot (CLOCK_MONOTONIC): place them on the wall clock.
                    var age = TimeSpan.FromMilliseconds(Environment.TickCount64) - TimeSpan.FromMicroseconds(r.Microseconds);
                    if (age > options.ReplayWindow)
                    {
                        continue;
                    }

                    LogOomKill(kill.Pid, kill.Process, kill.TaskMemcg);
                    await queue.EnqueueAsync(new Event { Time = Timestamp.FromDateTimeOffset(time.GetUtcNow() - age), OomKill = kill }, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            catch (IOException e)
            {
                LogUnavailable(e.Message);
            }
        }
    }

    /// <summary>One <c>journalctl -k -o json</c> line through the OOM parser: the kill it completes, with the journal's time.</summary>
    public static OomKill? FromJournalLine(OomKillParser parser, string line, out DateTimeOffset time, out bool malformed)
    {
        time = default;
        malformed = !JournalKernelLine.TryParse(line, out var entry);
        if (malformed || parser.Feed(entry.Message, entry.KernelMicroseconds) is not { } kill)
        {
            return null;
        }

        time = entry.Time;
        return kill;
    }

    /// <summary>Follows the journal's kernel messages until cancelled or journalctl exits; the journalctl process, for tests.</summary>
    public async Task FollowJournalAsync(CancellationToken stoppingToken, Action<Process>? started = null)
    {
        var since = (time.GetUtcNow() - options.ReplayWindow).ToUnixTimeSeconds();
        var start = new ProcessStartInfo(options.JournalctlPath, ["-k", "-f", "-o", "json", "--no-pager", $"--since=@{since}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("did not start");
        }
        catch (Win32Exception e)
        {
            LogUnavailable($"/dev/kmsg unreadable and {options.JournalctlPath} failed: {e.Message}");
            return;
        }

        using (process)
        {
            started?.Invoke(process);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            var parser = new OomKillParser();
            var malformed = 0;
            try
            {
                while (await process.StandardOutput.ReadLineAsync(stoppingToken) is { } line)
                {
                    if (FromJournalLine(parser, line, out var when, out var bad) is { } kill)
                    {
                        LogOomKill(kill.Pid, kill.Process, kill.TaskMemcg);
                        await queue.EnqueueAsync(new Event { Time = Timestamp.FromDateTimeOffset(when), OomKill = kill }, stoppingToken);
                    }
                    else if (bad && malformed++ == 0)
                    {
                        // Counted and skipped; said once.
                        LogMalformedJournalLine(line.Length > 200 ? line[..200] : line);
                    }
                }

                await process.WaitForExitAsync(stoppingToken);
                LogUnavailable($"{options.JournalctlPath} exited with {process.ExitCode}: {(await stderr).Trim()}");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    await process.WaitForExitAsync(CancellationToken.None);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kernel OOM kills: {Reason}; following {Journalctl} -k instead")]
    private partial void LogFallback(string reason, string journalctl);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped a journalctl line that is not a journal JSON entry (further ones are skipped silently): {Line}")]
    private partial void LogMalformedJournalLine(string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kernel OOM kills are not reported: {Reason}")]
    private partial void LogUnavailable(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Kernel OOM kill: pid {Pid} ({Process}) in {Cgroup}")]
    private partial void LogOomKill(int pid, string process, string cgroup);
}
