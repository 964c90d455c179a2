using Fleet502.Agent.Configuration;
using Fleet502.Agent.Shipping;
using Fleet502.Agent.Tailing;
using Fleet502.Protos.V1;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet502.Agent.Sources.PhpFpmLog;

/// <summary>
/// Follows php-fpm's error log (configured, or found through php-fpm's own config) and sends an
/// <see cref="FpmLog"/> for pool exhaustion, killed or failing children, slow and terminated requests,
/// and master start/stop. Checkpoints advance only past acknowledged lines, as for nginx's logs.
/// </summary>
public sealed partial class PhpFpmLogSource(
    EventQueue queue,
    PendingOffsets pending,
    IOptions<AgentOptions> options,
    ILogger<PhpFpmLogSource> logger,
    TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var fpm = settings.PhpFpm;
        if (!fpm.FollowErrorLog)
        {
            return;
        }

        var patterns = Paths(fpm);
        LogFollowing(string.Join(", ", patterns));
        using var follower = new PhpFpmLogFollower(patterns, Path.Combine(settings.StateDirectory, "php-fpm-log"),
            new TailerSettings { MaxLineBytes = settings.Nginx.MaxLineBytes, ReadFromStart = settings.Nginx.ReadFromStart },
            fpm.CoalesceWindow, pending, time, logger);
        using var changes = new ChangeNotifier(follower.Directories, (dir, why) => LogNoInotify(dir, why));
        var ready = new List<Event>();
        var lastCheckpoint = time.GetTimestamp();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var read = follower.Poll(ready);
                foreach (var evt in ready)
                {
                    // Waits while the stream is full: the log file is the buffer.
                    await queue.EnqueueAsync(evt, stoppingToken);
                }

                ready.Clear();
                if (time.GetElapsedTime(lastCheckpoint) >= CheckpointInterval)
                {
                    follower.SaveCheckpoints();
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
            follower.SaveCheckpoints();
            LogStopped(follower.Lines, follower.Reported, follower.Unparsed);
        }
    }

    // Configured paths win; otherwise what php-fpm's configs name; otherwise the distributions' defaults.
    private IReadOnlyList<string> Paths(PhpFpmOptions fpm)
    {
        if (fpm.ErrorLogs.Count > 0)
        {
            return fpm.ErrorLogs;
        }

        var notes = new List<string>();
        var found = PhpFpmErrorLogs.Discover(fpm.ConfigFiles.Count > 0 ? fpm.ConfigFiles : PhpFpmErrorLogs.DefaultConfigFiles, fromProcesses: true, notes);
        notes.ForEach(LogDiscoveryNote);
        return found.Count > 0 ? found : PhpFpmErrorLogs.DefaultLogs;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Following php-fpm error logs {Patterns}")]
    private partial void LogFollowing(string patterns);

    [LoggerMessage(Level = LogLevel.Warning, Message = "php-fpm error log: {Note}")]
    private partial void LogDiscoveryNote(string note);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No inotify on {Directory} ({Reason}); polling instead")]
    private partial void LogNoInotify(string directory, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "php-fpm log source stopped: {Lines} lines read, {Reported} reported, {Unparsed} not php-fpm's")]
    private partial void LogStopped(long lines, long reported, long unparsed);
}
