using System.Text;
using Fleet502.Agent.Configuration;
using Fleet502.Agent.Shipping;
using Fleet502.Agent.Sources.NginxConfig;
using Fleet502.Agent.Tailing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>
/// Follows the access logs (configured, or found through `nginx -T`) and sends one AccessWindow per
/// (server, upstream) and 10 s of log time. Checkpoints advance only past periods whose windows the
/// collector acknowledged, so a restart re-reads whole periods and rebuilds the same windows.
/// </summary>
public sealed partial class AccessLogSource(
    EventQueue queue,
    PendingOffsets pending,
    NginxConfigReader configReader,
    IOptions<AgentOptions> options,
    ILogger<AccessLogSource> logger,
    TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan BlockedTrackInterval = TimeSpan.FromMilliseconds(250);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var nginx = settings.Nginx;
        var tailerSettings = new TailerSettings { MaxLineBytes = nginx.MaxLineBytes, ReadFromStart = nginx.ReadFromStart };
        var fromConfig = nginx.ReadConfig && nginx.AccessLogs.Count == 0;
        var targets = AccessLogTargets.Resolve(nginx, fromConfig ? await ReadConfigAsync(stoppingToken) : null);
        var followers = Start(targets, settings.StateDirectory, tailerSettings);
        var changes = Watch(followers);
        var ready = new List<EncodedEvent>();
        var lastCheckpoint = time.GetTimestamp();
        var lastConfig = time.GetTimestamp();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                long read = 0;
                foreach (var follower in followers)
                {
                    read += follower.Poll(ready);
                }

                await EnqueueAsync(ready, followers, stoppingToken);
                if (time.GetElapsedTime(lastCheckpoint) >= CheckpointInterval)
                {
                    followers.ForEach(f => f.SaveCheckpoints());
                    lastCheckpoint = time.GetTimestamp();
                }

                if (fromConfig && time.GetElapsedTime(lastConfig) >= nginx.ConfigRefreshInterval)
                {
                    lastConfig = time.GetTimestamp();
                    var next = AccessLogTargets.Resolve(nginx, await ReadConfigAsync(stoppingToken));
                    if (Describe(next) != Describe(targets))
                    {
                        // nginx was reloaded with other access logs or formats: finish the current windows, follow the new set.
                        LogTargetsChanged(Describe(next));
                        Stop(followers, ready);
                        await EnqueueAsync(ready, followers, stoppingToken);
                        changes.Dispose();
                        targets = next;
                        followers = Start(targets, settings.StateDirectory, tailerSettings);
                        changes = Watch(followers);
                    }
                }

                if (read == 0)
                {
                    // Caught up: sleep until inotify or the poll interval. Behind: read on at once, in
                    // budget-sized steps, as the error log source does.
                    await changes.WaitAsync(nginx.PollInterval, time, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Open windows are not sent on shutdown: their lines stay behind the checkpoint and are read again.
            foreach (var follower in followers)
            {
                follower.SaveCheckpoints();
                LogStopped(follower.Lines, follower.Malformed, follower.Truncated);
                follower.Dispose();
            }

            changes.Dispose();
        }
    }

    private async Task<NginxConfigSnapshot?> ReadConfigAsync(CancellationToken cancellationToken)
    {
        var snapshot = await configReader.RefreshAsync(cancellationToken);
        return snapshot is { Config.Error.Length: 0 } ? snapshot : null;
    }

    private List<AccessLogFollower> Start(IReadOnlyList<AccessLogTarget> targets, string stateDirectory, TailerSettings tailerSettings)
    {
        var followers = new List<AccessLogFollower>();
        foreach (var target in targets)
        {
            LogFollowing(string.Join(", ", target.Patterns), target.Format.Name);
            var directory = Path.Combine(stateDirectory, "access-log", SafeName(target.Format.Name));
            followers.Add(new AccessLogFollower(target, directory, tailerSettings, pending, time, logger));
        }

        return followers;
    }

    private static void Stop(List<AccessLogFollower> followers, List<EncodedEvent> ready)
    {
        foreach (var follower in followers)
        {
            follower.Poll(ready, stopping: true);
            follower.SaveCheckpoints();
            follower.Dispose();
        }
    }

    private ChangeNotifier Watch(List<AccessLogFollower> followers) =>
        new(followers.SelectMany(f => f.Directories).Distinct(StringComparer.Ordinal), (dir, why) => LogNoInotify(dir, why));

    private async Task EnqueueAsync(List<EncodedEvent> ready, List<AccessLogFollower> followers, CancellationToken cancellationToken)
    {
        Task<bool>? room = null;
        foreach (var evt in ready)
        {
            while (!queue.TryEnqueue(evt))
            {
                // The stream is full (collector away, spool full): stop reading, the log files are the
                // buffer. Meanwhile keep new, rotated and truncated files reachable, so rotation loses nothing.
                followers.ForEach(f => f.Track());
                room ??= queue.WaitToWriteAsync(cancellationToken).AsTask();
                if (await Task.WhenAny(room, Task.Delay(BlockedTrackInterval, time, cancellationToken)) == room)
                {
                    room = null;
                }

                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        ready.Clear();
    }

    private static string Describe(IReadOnlyList<AccessLogTarget> targets) =>
        string.Join("; ", targets.Select(t => t.Format.Name + ": " + string.Join(", ", t.Patterns)));

    private static string SafeName(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        }

        return sb.Length == 0 ? "default" : sb.ToString();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Following access logs {Patterns} with log_format {Format}")]
    private partial void LogFollowing(string patterns, string format);

    [LoggerMessage(Level = LogLevel.Information, Message = "nginx access logs changed: {Targets}")]
    private partial void LogTargetsChanged(string targets);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No inotify on {Directory} ({Reason}); polling instead")]
    private partial void LogNoInotify(string directory, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Access log source stopped: {Lines} lines read, {Malformed} did not match the format, {Truncated} over-long")]
    private partial void LogStopped(long lines, long malformed, long truncated);
}
