using System.Text.Json;

namespace Fleet502.Collector.Api;

internal static class ApiExtensions
{
    public static IServiceCollection AddApi(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, CollectorJsonContext.Default);
        });
        return services;
    }

    /// <summary><c>/api/v1/*</c> behind an API token, and <c>/healthz</c> without one.</summary>
    public static IEndpointRouteBuilder MapCollectorApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1")
            .AddEndpointFilter<ApiTokenFilter>()
            .MapIncidents()
            .MapAgents();
        app.MapGet("/healthz", () => TypedResults.Text("ok"));
        return app;
    }
}
