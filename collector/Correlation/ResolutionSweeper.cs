using Microsoft.Extensions.Options;

namespace Fleet502.Collector.Correlation;

/// <summary>Asks the correlator every <see cref="CorrelationOptions.CheckInterval"/> to resolve quiet incidents.</summary>
internal sealed class ResolutionSweeper(
    Correlator correlator,
    IOptions<CorrelationOptions> options,
    TimeProvider time,
    ILogger<ResolutionSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                correlator.ResolveQuietIncidents();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.SweepFailed(logger, ex); // never crash after start: try again next tick
            }
        }
    }
}
