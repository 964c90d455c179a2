using Fleet502.Collector.Storage;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Fleet502.Collector.Notifiers;

/// <summary>
/// Delivers outbox items one at a time. Each send already retries inside the HTTP pipeline (5xx,
/// 408, 429 with Retry-After); when that gives up, the item waits with exponential backoff and is
/// tried again, up to <see cref="MaxAttempts"/> times.
/// </summary>
internal sealed class OutboxSender(
    NotificationOutbox outbox,
    OutboxStore store,
    NotifierRegistry notifiers,
    TimeProvider time,
    ILogger<OutboxSender> logger) : BackgroundService
{
    public const int MaxAttempts = 8;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var item in outbox.Reader.ReadAllAsync(stoppingToken))
        {
            await DeliverAsync(item, stoppingToken);
        }
    }

    private async Task DeliverAsync(OutboxItem item, CancellationToken stoppingToken)
    {
        if (!notifiers.TryGet(item.Webhook, out var notifier))
        {
            store.Delete(item.Id); // the webhook was removed from the config
            Log.WebhookUnknown(logger, item.Webhook);
            return;
        }

        try
        {
            await notifier.SendAsync(item, stoppingToken);
            store.Delete(item.Id);
            Log.WebhookDelivered(logger, item.Webhook, item.Event, item.IncidentId);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            var failed = item with { Attempts = item.Attempts + 1 };
            if (failed.Attempts >= MaxAttempts)
            {
                store.Delete(item.Id);
                Log.WebhookGaveUp(logger, item.Webhook, item.Event, item.IncidentId, failed.Attempts);
                return;
            }

            store.Save(failed);
            var delay = Backoff(failed.Attempts);
            Log.WebhookFailed(logger, item.Webhook, item.Event, Describe(ex), failed.Attempts, MaxAttempts, delay);
            _ = RequeueLaterAsync(failed, delay, stoppingToken); // the queue keeps flowing meanwhile
        }
    }

    private async Task RequeueLaterAsync(OutboxItem item, TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, time, stoppingToken);
            outbox.Requeue(item);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: the item is saved and is loaded again at the next start.
        }
    }

    private static TimeSpan Backoff(int attempts) =>
        TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, FirstRetryDelay.Ticks << Math.Min(attempts - 1, 16)));

    /// <summary>What went wrong, without the exception message: those can carry the receiver's address.</summary>
    internal static string Describe(Exception ex) => ex switch
    {
        HttpRequestException { StatusCode: { } status } => $"HTTP {(int)status}",
        HttpRequestException http => $"HTTP request failed: {http.HttpRequestError}",
        TimeoutRejectedException => "timed out",
        BrokenCircuitException => "circuit open after repeated failures",
        _ => ex.GetType().Name,
    };
}
