using Fleet502.Collector.Correlation;
using Fleet502.Collector.Storage;

namespace Fleet502.Collector.Api;

/// <summary><c>GET /api/v1/agents</c>: every agent that ever said Hello, as a JSON array, online or offline.</summary>
internal static class AgentEndpoints
{
    public static RouteGroupBuilder MapAgents(this RouteGroupBuilder api)
    {
        api.MapGet("/agents", (AgentStore agents, Correlator correlator, TimeProvider time) =>
        {
            var now = time.GetUtcNow();
            return TypedResults.Ok(agents.All().Select(a => AgentJson.From(a, correlator.Liveness(a.Id), now, correlator.OfflineAfter)).ToList());
        });
        return api;
    }
}
