using Fleet502.Collector.Api;
using Fleet502.Collector.Auth;
using Fleet502.Collector.Correlation;
using Fleet502.Collector.Hosting;
using Fleet502.Collector.Ingest;
using Fleet502.Collector.Notifiers;
using Fleet502.Collector.Storage;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fleet502.Collector;

/// <summary>
/// The composition root. <c>Program</c> runs it; tests build the same app with their own arguments
/// (<c>--Listen:Grpc=127.0.0.1:0</c>, <c>--Storage:Path=...</c>) and extra wiring.
/// <see cref="Build"/> throws <see cref="InvalidConfigurationException"/> listing every config problem.
/// </summary>
internal static class CollectorApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        ConfigurationSources.Add(builder.Configuration, args);
        builder.Host.UseSystemd();

        // Polly's own telemetry logs exception messages, which can name a webhook's host;
        // the notifiers log each retry themselves, by webhook name.
        builder.Logging.AddFilter("Polly", LogLevel.None);
        // One line per HTTP request and per gRPC call drowns what matters (incidents, agents,
        // storage) in a journal; the "Logging" section still overrides these defaults.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc.AspNetCore", LogLevel.Warning);

        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddValidatedOptions<ListenAddressesOptions>(ListenAddressesOptions.Section);
        services.AddValidatedOptions<AuthOptions>(AuthOptions.Section);
        services.AddSingleton<BoundEndpoints>();
        services.AddStorage().AddIngest().AddCorrelation().AddNotifiers().AddApi();

        builder.WebHost.ConfigureKestrel(ListenOnConfiguredEndpoints);
        configure?.Invoke(builder);

        var app = builder.Build();
        ConfigurationCheck.ValidateAll(app.Services);
        app.MapGrpcService<IngestService>();
        app.MapCollectorApi();
        app.Lifetime.ApplicationStarted.Register(() => LogStarted(app.Services));
        return app;
    }

    /// <summary>
    /// gRPC needs HTTP/2, which without TLS (no ALPN) only works on an HTTP/2-only endpoint;
    /// browsers and curl speak HTTP/1.1 to the REST endpoint.
    /// </summary>
    private static void ListenOnConfiguredEndpoints(KestrelServerOptions kestrel)
    {
        // Read without validation: Kestrel is configured while the app is built, and a bad address
        // must be reported with every other config problem when the host starts.
        var configuration = kestrel.ApplicationServices.GetRequiredService<IConfiguration>();
        var listen = configuration.GetSection(ListenAddressesOptions.Section).Get<ListenAddressesOptions>() ?? new();
        if (listen.Validate().Any())
        {
            return;
        }

        var bound = kestrel.ApplicationServices.GetRequiredService<BoundEndpoints>();
        kestrel.Listen(listen.GrpcEndPoint, endpoint =>
        {
            endpoint.Protocols = HttpProtocols.Http2;
            bound.Grpc = endpoint;
        });
        kestrel.Listen(listen.HttpEndPoint, endpoint =>
        {
            endpoint.Protocols = HttpProtocols.Http1;
            bound.Http = endpoint;
        });
    }

    private static void LogStarted(IServiceProvider services)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Fleet502.Collector");
        foreach (var webhook in services.GetRequiredService<IOptions<WebhooksOptions>>().Value.Webhooks)
        {
            Log.WebhookConfigured(logger, webhook.Name, webhook.Format);
        }

        var bound = services.GetRequiredService<BoundEndpoints>();
        // One machine-readable line: a harness that starts the collector on port 0 reads the ports from it.
        Log.Listening(logger, bound.GrpcUri.GetLeftPart(UriPartial.Authority), bound.HttpUri.GetLeftPart(UriPartial.Authority));
    }
}
