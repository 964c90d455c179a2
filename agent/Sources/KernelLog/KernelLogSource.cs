using Fleet502.Agent.Configuration;
using Fleet502.Agent.Platform;
using Fleet502.Agent.Shipping;
using Fleet502.Agent.Tailing;
using Fleet502.Protos.V1;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet502.Agent.Sources.KernelLog;

/// <summary>
/// Follows the kernel/systemd log files of <see cref="KernelOptions.LogFiles"/> (for hosts where /dev/kmsg
/// is not readable, containers, or where only syslog keeps the journal) and sends OomKill and
/// ServiceState events. Checkpoints advance only past acknowledged lines.
/// </summary>
public sealed partial class KernelLogSource(
    EventQueue queue,
    PendingOffsets pending,
    IOptions<AgentOptions> options,
    ILogger<KernelLogSource> logger,
    TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.Kernel.LogFiles.Count == 0)
        {
            return;
        }

        var checkpoints = new CheckpointStore(Path.Combine(settings.StateDirectory, "kernel-log"), time);
        using var tailer = new LogTailer(settings.Kernel.LogFiles, new TailerSettings { MaxLineBytes = settings.Nginx.MaxLineBytes }, checkpoints, time, logger);
        using var changes = new ChangeNotifier(tailer.Directories, (dir, why) => LogNoInotify(dir, why));
        var events = new KernelLogEvents(time);
        var ready = new List<Event>();
        FileLineHandler onLine = (file, line, offset, _) =>
        {
            if (events.Map(line) is { } evt)
            {
                evt.Source = new SourceRef { Path = file.Path, Device = file.Identity.Device, Inode = file.Identity.Inode, Offset = offset, Generation = file.Generation };
                pending.Add(file.Identity, file.Generation, offset);
                ready.Add(evt);
            }
        };
        LogFollowing(string.Join(", ", settings.Kernel.LogFiles));
        var lastCheckpoint = time.GetTimestamp();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var read = tailer.Poll(onLine);
                foreach (var evt in ready)
                {
                    await queue.EnqueueAsync(evt, stoppingToken);
                }

                ready.Clear();
                if (time.GetElapsedTime(lastCheckpoint) >= CheckpointInterval)
                {
                    checkpoints.Save(tailer.Checkpoints(pending.Committed));
                    lastCheckpoint = time.GetTimestamp();
                }

                if (read == 0)
                {
                    await changes.WaitAsync(settings.Nginx.PollInterval, time, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            checkpoints.Save(tailer.Checkpoints(pending.Committed));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Following kernel/systemd log files {Patterns}")]
    private partial void LogFollowing(string patterns);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No inotify on {Directory} ({Reason}); polling instead")]
    private partial void LogNoInotify(string directory, string reason);
}
