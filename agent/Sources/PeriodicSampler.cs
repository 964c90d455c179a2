using Fleet502.Agent.Shipping;
using Fleet502.Protos.V1;
using Microsoft.Extensions.Hosting;

namespace Fleet502.Agent.Sources;

/// <summary>
/// A source that samples host state: one pass every <c>interval</c>, whose events (changes and
/// periodic full snapshots, as the pass decides) are queued for the collector.
/// </summary>
public abstract class PeriodicSampler(EventQueue queue, TimeProvider time, TimeSpan interval) : BackgroundService
{
    protected TimeProvider Time { get; } = time;

    /// <summary>One pass: the events to send (none when nothing changed).</summary>
    public abstract Task<List<Event>> SampleAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                foreach (var evt in await SampleAsync(stoppingToken))
                {
                    await queue.EnqueueAsync(evt, stoppingToken);
                }

                await Task.Delay(interval, Time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
