using Fleet502.Agent.Configuration;
using Fleet502.Agent.Shipping;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Fleet502.Agent.Sources.Heartbeat;

/// <summary>
/// Sends a Heartbeat event every <see cref="HeartbeatOptions.Interval"/>: a host with nothing to
/// report still says it is alive, and one that stops is seen as offline (the host-down rule).
/// </summary>
public sealed class HeartbeatSource(EventQueue queue, IOptions<AgentOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Heartbeat.Interval, time);
        try
        {
            do
            {
                await queue.EnqueueAsync(new Event { Time = Timestamp.FromDateTimeOffset(time.GetUtcNow()), Heartbeat = new Protos.V1.Heartbeat() }, stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
