using Fleet502.Collector.Storage;

namespace Fleet502.Collector.Api;

/// <summary><c>GET /api/v1/agents</c>: every agent that ever said Hello, as a JSON array.</summary>
internal static class AgentEndpoints
{
    public static RouteGroupBuilder MapAgents(this RouteGroupBuilder api)
    {
        api.MapGet("/agents", (AgentStore agents) => TypedResults.Ok(agents.All().Select(AgentJson.From).ToList()));
        return api;
    }
}
