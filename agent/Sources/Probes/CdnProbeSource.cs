using Fleet502.Agent.Configuration;
using Fleet502.Agent.Diagnosis;
using Fleet502.Agent.Shipping;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet502.Agent.Sources.Probes;

/// <summary>
/// Probes every configured URL through its CDN every <see cref="ProbeOptions.Interval"/> with the
/// same <see cref="CdnProbe"/> that <c>doctor --url</c> runs. A CDN-generated error page becomes a
/// cdn_origin_unreachable symptom toward the origin, and the collector explains it with the same rule
/// as doctor. Answers the CDN only relays, and healthy answers, send nothing: the origin's own logs
/// speak for those.
/// </summary>
public sealed partial class CdnProbeSource(EventQueue queue, IOptions<AgentOptions> options, TimeProvider time, ILogger<CdnProbeSource> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var probes = options.Value.Probes;
        var targets = probes.Targets
            .Where(t => Uri.TryCreate(t.Url, UriKind.Absolute, out _))
            .Select(t => (Url: new Uri(t.Url), t.Origin))
            .ToList();
        if (targets.Count == 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(probes.Interval, time);
        try
        {
            do
            {
                foreach (var (url, origin) in targets)
                {
                    await ProbeAsync(url, origin, stoppingToken);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ProbeAsync(Uri url, string origin, CancellationToken stoppingToken)
    {
        try
        {
            var result = await CdnProbe.RunAsync(url, origin, time, stoppingToken);
            if (result.Symptom is { } symptom)
            {
                LogCdnError(logger, url.Host, symptom.UpstreamError.Status, origin);
                await queue.EnqueueAsync(symptom, stoppingToken);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Net.Sockets.SocketException && !stoppingToken.IsCancellationRequested)
        {
            // The CDN itself is unreachable from here: that is this host's network, not a CDN answer.
            LogProbeFailed(logger, url.Host, e.GetType().Name);
        }
    }

    // The host only: a probe URL's path and query can carry tokens.
    [LoggerMessage(EventId = 900, Level = LogLevel.Warning, Message = "Probe of {Site}: the CDN answered {Status} with its own error page for the origin {Origin}")]
    private static partial void LogCdnError(ILogger logger, string site, int status, string origin);

    [LoggerMessage(EventId = 901, Level = LogLevel.Information, Message = "Probe of {Site} failed before the CDN answered: {Error}")]
    private static partial void LogProbeFailed(ILogger logger, string site, string error);
}
