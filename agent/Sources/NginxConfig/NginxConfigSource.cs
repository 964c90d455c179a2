using Fleet502.Agent.Configuration;
using Fleet502.Agent.Shipping;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Fleet502.Agent.Sources.NginxConfig;

/// <summary>Reads <c>nginx -T</c> periodically (cheap: cached until a reload) and sends a ProxyConfig whenever it changed.</summary>
public sealed class NginxConfigSource(NginxConfigReader reader, EventQueue queue, IOptions<AgentOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Nginx.ConfigRefreshInterval;
        if (!options.Value.Nginx.ReadConfig)
        {
            return;
        }

        string? sent = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var snapshot = await reader.RefreshAsync(stoppingToken);
                var key = snapshot is null ? null : snapshot.Config.ConfigHash + "|" + snapshot.Config.Error + "|" + snapshot.Config.MasterPid;
                if (snapshot is not null && key != sent)
                {
                    await queue.EnqueueAsync(new Event { Time = Timestamp.FromDateTimeOffset(time.GetUtcNow()), ProxyConfig = snapshot.Config }, stoppingToken);
                    sent = key;
                }

                await Task.Delay(interval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
