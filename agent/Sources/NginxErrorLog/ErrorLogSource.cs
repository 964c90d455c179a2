using Fleet502.Agent.Configuration;
using Fleet502.Agent.Tailing;
using Fleet502.Agent.Shipping;
using Fleet502.Protos.V1;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet502.Agent.Sources.NginxErrorLog;

/// <summary>
/// Follows the configured nginx error logs: each new line is parsed and classified, upstream
/// failures are coalesced and queued for the collector; everything else is counted and skipped.
/// </summary>
public sealed partial class ErrorLogSource(
    EventQueue queue,
    IOptions<AgentOptions> options,
    ILogger<ErrorLogSource> logger,
    TimeProvider time) : BackgroundService
{
    private long _lines;
    private long _blamed;
    private long _unparsed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nginx = options.Value.Nginx;
        var coalescer = new UpstreamErrorCoalescer(nginx.CoalesceWindow, time);
        var followers = new List<FileFollower>();
        foreach (var path in nginx.ErrorLogs)
        {
            var follower = new FileFollower(path, nginx.MaxLineBytes);
            if (!follower.TryOpen(fromEnd: !nginx.ReadFromStart))
            {
                LogWaitingForFile(path);
            }

            followers.Add(follower);
            LogFollowing(path, follower.Offset);
        }

        var ready = new List<Event>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                foreach (var follower in followers)
                {
                    var source = follower;
                    follower.Poll((line, offset, truncated) => OnLine(coalescer, source, line, offset));
                }

                coalescer.Drain(ready);
                foreach (var evt in ready)
                {
                    await queue.EnqueueAsync(evt, stoppingToken);
                }

                ready.Clear();
                await Task.Delay(nginx.PollInterval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            LogStopped(_lines, _blamed, _unparsed);
        }
        finally
        {
            followers.ForEach(f => f.Dispose());
        }
    }

    private void OnLine(UpstreamErrorCoalescer coalescer, FileFollower follower, ReadOnlySpan<byte> line, long offset)
    {
        _lines++;
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
        var id = follower.Identity;
        coalescer.Add(parsed, classification, line, new LineOrigin(follower.Path, id?.Device ?? 0, id?.Inode ?? 0, offset));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Following nginx error log {Path} from offset {Offset}")]
    private partial void LogFollowing(string path, long offset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "nginx error log {Path} is not readable yet; will pick it up when it appears")]
    private partial void LogWaitingForFile(string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Error log source stopped: {Lines} lines read, {Blamed} upstream failures, {Unparsed} unparsable lines skipped")]
    private partial void LogStopped(long lines, long blamed, long unparsed);
}
