namespace Fleet502.Collector.Ingest;

internal static class IngestServiceCollectionExtensions
{
    public static IServiceCollection AddIngest(this IServiceCollection services)
    {
        services.AddGrpc();
        services.AddSingleton<IngestMetrics>();
        services.AddSingleton<IngestWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<IngestWriter>());
        return services;
    }
}
