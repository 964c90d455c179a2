using Fleet502.Collector.Correlation.Rules;
using Fleet502.Collector.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Fleet502.Collector.Correlation;

internal static class CorrelationServiceCollectionExtensions
{
    public static IServiceCollection AddCorrelation(this IServiceCollection services)
    {
        services.AddValidatedOptions<CorrelationOptions>(CorrelationOptions.Section);

        // Asked in this order; the correlator always asks ReportedCauseRule last.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICorrelationRule, BackendDownRule>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICorrelationRule, SocketMissingRule>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICorrelationRule, ReportedCauseRule>());

        services.AddSingleton<Correlator>();
        services.AddHostedService<ResolutionSweeper>();
        return services;
    }
}
