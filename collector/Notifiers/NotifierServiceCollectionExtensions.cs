using Fleet502.Collector.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Fleet502.Collector.Notifiers;

internal static class NotifierServiceCollectionExtensions
{
    public static IServiceCollection AddNotifiers(this IServiceCollection services)
    {
        // The config's Webhooks is a top-level array, bound into the options' list.
        services.AddValidatedOptions<WebhooksOptions>(options => options
            .Configure<IConfiguration>((o, config) => config.GetSection(WebhooksOptions.Section).Bind(o.Webhooks)));

        services.AddHttpClient(WebhookHttp.ClientName)
            .RemoveAllLoggers() // the default logging handlers write request URLs, and webhook URLs are secrets
            .AddStandardResilienceHandler()
            .Configure((options, sp) =>
            {
                var logger = sp.GetRequiredService<ILogger<OutboxSender>>();
                options.Retry.OnRetry = args =>
                {
                    var outcome = args.Outcome.Result is { } response ? $"HTTP {(int)response.StatusCode}" : OutboxSender.Describe(args.Outcome.Exception!);
                    Log.WebhookRetrying(logger, WebhookHttp.NameOf(args.Context.GetRequestMessage()), args.AttemptNumber + 1, args.RetryDelay, outcome);
                    return default;
                };
            })
            .SelectPipelineBy(_ => WebhookHttp.NameOf);

        services.AddSingleton<NotifierRegistry>();
        services.AddSingleton<NotificationOutbox>();
        services.AddHostedService<OutboxSender>();
        return services;
    }
}
