using Fleet502.Collector.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Fleet502.Collector.Correlation;

internal static class CorrelationServiceCollectionExtensions
{
    public static IServiceCollection AddCorrelation(this IServiceCollection services)
    {
        services.AddValidatedOptions<CorrelationOptions>(CorrelationOptions.Section);

        // One rule list, shared with the agent's doctor: RuleSet.Default.
        services.TryAddSingleton(RuleSet.Default);

        services.AddSingleton<Correlator>();
        services.AddHostedService<ResolutionSweeper>();
        return services;
    }
}
