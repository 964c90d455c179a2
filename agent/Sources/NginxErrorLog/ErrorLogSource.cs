using Fleet502.Agent.Configuration;
using Fleet502.Agent.Platform;
using Fleet502.Agent.Shipping;
using Fleet502.Agent.Sources.NginxConfig;
using Fleet502.Agent.Tailing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet502.Agent.Sources.NginxErrorLog;

/// <summary>
/// Follows the configured nginx error logs (paths and globs, through rotation): each new line is
/// parsed and classified, upstream failures are coalesced and queued for the collector; everything
/// else is counted and skipped. Checkpoints advance only past lines whose events the collector
/// has acknowledged, so a crash re-reads, never skips.
/// </summary>
public sealed partial class ErrorLogSource(
    EventQueue queue,
    PendingOffsets pending,
    NginxConfigReader nginxConfig,
    IOptions<AgentOptions> options,
    ILogger<ErrorLogSource> logger,
    TimeProvider time) : BackgroundService
{
    private const string DefaultErrorLog = "/var/log/nginx/error.log";
    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan BlockedTrackInterval = TimeSpan.FromMilliseconds(250);
    private long _lines;
    private long _blamed;
    private long _unparsed;
    private long _truncated;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var nginx = settings.Nginx;
        var coalescer = new UpstreamErrorCoalescer(nginx.CoalesceWindow, time,
            origin => pending.Add(new FileIdentity(origin.Device, origin.Inode), origin.Generation, origin.Offset));
        var checkpoints = new CheckpointStore(Path.Combine(settings.StateDirectory, "error-log"), time);
        var paths = await ErrorLogPathsAsync(nginx, stoppingToken);
        using var tailer = new LogTailer(paths, new TailerSettings
        {
            MaxLineBytes = nginx.MaxLineBytes,
            ReadFromStart = nginx.ReadFromStart,
        }, checkpoints, time, logger);
        using var changes = new ChangeNotifier(tailer.Directories, (dir, why) => LogNoInotify(dir, why));

        var ready = new List<EncodedEvent>();
        Task<bool>? room = null;
        var lastCheckpoint = time.GetTimestamp();
        FileLineHandler onLine = (file, line, offset, truncated) => OnLine(coalescer, file, line, offset, truncated);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var read = tailer.Poll(onLine);
                coalescer.Drain(ready);
                foreach (var evt in ready)
                {
                    while (!queue.TryEnqueue(evt))
                    {
                        // The stream is full (collector away, spool full): stop reading, the log files are the
                        // buffer. Meanwhile keep new, rotated and truncated files reachable, so rotation loses nothing.
                        tailer.Track();
                        room ??= queue.WaitToWriteAsync(stoppingToken).AsTask();
                        if (await Task.WhenAny(room, Task.Delay(BlockedTrackInterval, time, stoppingToken)) == room)
                        {
                            room = null;
                        }

                        stoppingToken.ThrowIfCancellationRequested();
                    }
                }

                ready.Clear();
                if (time.GetElapsedTime(lastCheckpoint) >= CheckpointInterval)
                {
                    checkpoints.Save(tailer.Checkpoints(pending.Committed));
                    lastCheckpoint = time.GetTimestamp();
                }

                if (read == 0)
                {
                    // Caught up: sleep until inotify or the poll interval. Otherwise read on at once,
                    // in budget-sized steps, so events are shipped (and collected) young.
                    await changes.WaitAsync(nginx.PollInterval, time, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // What was not acknowledged stays behind the checkpoint and is read again next start.
            checkpoints.Save(tailer.Checkpoints(pending.Committed));
            tailer.CountUnreadInDeletedFiles();
            LogStopped(_lines, _blamed, _unparsed, _truncated, tailer.Problems, tailer.LostLines, tailer.LostBytes);
        }
    }

    // Configured paths win; otherwise the error_log files nginx -T names; otherwise Debian's default.
    private async Task<IReadOnlyList<string>> ErrorLogPathsAsync(NginxOptions nginx, CancellationToken cancellationToken)
    {
        if (nginx.ErrorLogs.Count > 0)
        {
            return nginx.ErrorLogs;
        }

        var fromConfig = nginx.ReadConfig ? (await nginxConfig.RefreshAsync(cancellationToken))?.TailableErrorLogs().ToList() ?? [] : [];
        return fromConfig.Count > 0 ? fromConfig : [DefaultErrorLog];
    }

    private void OnLine(UpstreamErrorCoalescer coalescer, TailedFile file, ReadOnlySpan<byte> line, long offset, bool truncated)
    {
        _lines++;
        if (truncated)
        {
            _truncated++;
        }

        if (!NginxErrorLineParser.TryParse(line, out var parsed))
        {
            _unparsed++;
            return;
        }

        var classification = UpstreamErrorClassifier.Classify(parsed);
        if (!classification.Blames)
        {
            return;
        }

        _blamed++;
        coalescer.Add(parsed, classification, line, new LineOrigin(file.Path, file.Identity.Device, file.Identity.Inode, offset, file.Generation));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No inotify on {Directory} ({Reason}); polling instead")]
    private partial void LogNoInotify(string directory, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Error log source stopped: {Lines} lines read, {Blamed} upstream failures, {Unparsed} unparsable and {Truncated} over-long lines; {Problems} paths could not be followed; lost to rotation: {LostLines} lines, {LostBytes} bytes")]
    private partial void LogStopped(long lines, long blamed, long unparsed, long truncated, long problems, long lostLines, long lostBytes);
}
