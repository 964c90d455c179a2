using Microsoft.Extensions.Options;

namespace Fleet502.Collector.Storage;

/// <summary>Deletes events older than <see cref="StorageOptions.EventRetention"/>, at start and then periodically.</summary>
internal sealed class RetentionService(
    EventStore events,
    IOptions<StorageOptions> options,
    TimeProvider time,
    ILogger<RetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RetentionInterval, time);
        do
        {
            try
            {
                var cutoff = time.GetUtcNow() - options.Value.EventRetention;
                var deleted = events.DeleteOlderThan(cutoff);
                if (deleted > 0)
                {
                    Log.RetentionDeleted(logger, deleted, cutoff);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.RetentionFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
