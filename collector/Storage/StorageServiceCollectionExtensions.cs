using Fleet502.Collector.Hosting;

namespace Fleet502.Collector.Storage;

internal static class StorageServiceCollectionExtensions
{
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddValidatedOptions<StorageOptions>(StorageOptions.Section);
        services.AddSingleton<CollectorDatabase>();
        services.AddSingleton<AgentStore>();
        services.AddSingleton<LineIndex>();
        services.AddSingleton<EventStore>();
        services.AddSingleton<IncidentStore>();
        services.AddSingleton<OutboxStore>();
        services.AddHostedService<RetentionService>();
        return services;
    }
}
