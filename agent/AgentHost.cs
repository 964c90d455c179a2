using Fleet502.Agent.Configuration;
using Fleet502.Agent.Shipping;
using Fleet502.Agent.Sources.Processes;
using Fleet502.Agent.Sources.NginxAccessLog;
using Fleet502.Agent.Sources.NginxConfig;
using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Agent.Sources.KernelLog;
using Fleet502.Agent.Sources.PhpFpmLog;
using Fleet502.Agent.Tailing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet502.Agent;

/// <summary>Composition root of the long-running agent.</summary>
public static class AgentHost
{
    public const string EnvironmentPrefix = "FLEET502_";

    public static async Task<int> RunAsync(string? configPath, CancellationToken cancellationToken)
    {
        IHost host;
        try
        {
            host = Build(configPath);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or FormatException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"fleet502-agent: cannot read the configuration: {e.Message}");
            return 2;
        }

        try
        {
            await host.RunAsync(cancellationToken);
            return 0;
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync("fleet502-agent: invalid configuration:\n  " + string.Join("\n  ", e.Failures));
            return 2;
        }
        finally
        {
            host.Dispose();
        }
    }

    public static IHost Build(string? configPath)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        var explicitPath = !string.IsNullOrEmpty(configPath);
        var path = Path.GetFullPath(explicitPath ? configPath! : AgentCommandLine.DefaultConfigPath);
        if (explicitPath && !File.Exists(path))
        {
            throw new FileNotFoundException($"{path} does not exist");
        }

        builder.Configuration.AddJsonFile(path, optional: !explicitPath, reloadOnChange: false);
        builder.Configuration.AddEnvironmentVariables(EnvironmentPrefix);

        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Services.AddSystemd();

        builder.Services.AddOptions<AgentOptions>()
            .Bind(builder.Configuration)
            .Validate(o => Uri.TryCreate(o.Collector.Url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https",
                "Collector:Url must be an absolute http:// or https:// URL (the collector's gRPC port)")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Collector.Token) || !string.IsNullOrWhiteSpace(o.Collector.TokenFile),
                "Collector:Token or Collector:TokenFile is required: the collector only accepts agents with a token")
            .Validate(o => string.IsNullOrEmpty(o.Collector.TokenFile) || File.Exists(o.Collector.TokenFile),
                "Collector:TokenFile does not exist")
            .Validate(o => Positive(o.Nginx.PollInterval) && Positive(o.Heartbeat.Interval) && Positive(o.Listeners.SampleInterval) && Positive(o.Listeners.FullSnapshotInterval)
                    && Positive(o.Collector.MaxReconnectDelay) && Positive(o.Nginx.ConfigRefreshInterval) && o.Nginx.CoalesceWindow >= TimeSpan.Zero && o.Nginx.CoalesceWindow <= TimeSpan.FromSeconds(10)
                    && o.PhpFpm.CoalesceWindow >= TimeSpan.Zero && o.PhpFpm.CoalesceWindow <= TimeSpan.FromSeconds(10),
                "intervals must be positive durations (\"00:00:02\") and Nginx:CoalesceWindow and PhpFpm:CoalesceWindow at most 10 s")
            .Validate(o => Positive(o.Probes.Interval) && o.Probes.Targets.All(t =>
                    Uri.TryCreate(t.Url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" && !string.IsNullOrWhiteSpace(t.Origin)),
                "Probes:Interval must be positive and each Probes:Targets entry needs an absolute http(s) Url and an Origin (host:port)")
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AgentOptions>, AgentOptionsValidator>();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<EventQueue>();
        builder.Services.AddSingleton<PendingOffsets>();
        builder.Services.AddHostedService<CollectorStreamer>();
        builder.Services.AddHostedService<ErrorLogSource>();
        builder.Services.AddSingleton<NginxConfigReader>();
        builder.Services.AddHostedService<AccessLogSource>();
        builder.Services.AddHostedService<NginxConfigSource>();
        builder.Services.AddHostedService<PhpFpmLogSource>();
        builder.Services.AddHostedService<KernelLogSource>();
        builder.Services.AddHostState();
        builder.Services.AddHostedService<Sources.Heartbeat.HeartbeatSource>();
        builder.Services.AddHostedService<Sources.Probes.CdnProbeSource>();
        return builder.Build();
    }

    private static bool Positive(TimeSpan t) => t > TimeSpan.Zero && t < TimeSpan.FromDays(1);
}
