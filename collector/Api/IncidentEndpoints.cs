using System.Globalization;
using Fleet502.Diagnosis;
using Fleet502.Collector.Correlation;
using Fleet502.Collector.Incidents;
using Fleet502.Collector.Storage;
using Fleet502.Protos.V1;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet502.Collector.Api;

/// <summary><c>GET /api/v1/incidents</c> and <c>GET /api/v1/incidents/{id}</c>.</summary>
internal static class IncidentEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static RouteGroupBuilder MapIncidents(this RouteGroupBuilder api)
    {
        api.MapGet("/incidents", List);
        api.MapGet("/incidents/{id}", Get);
        return api;
    }

    /// <summary>A JSON array, newest activity first. Query: <c>status</c>=open|resolved|all (default all), <c>cause</c>=snake_case name, <c>limit</c>=1..1000 (default 100).</summary>
    private static Results<Ok<List<IncidentJson>>, ValidationProblem> List(string? status, string? cause, string? limit, IncidentStore store, Correlator correlator)
    {
        var errors = new Dictionary<string, string[]>();
        IncidentStatus? statusFilter = status switch
        {
            null or "all" => null,
            "open" => IncidentStatus.Open,
            "resolved" => IncidentStatus.Resolved,
            _ => Fail(errors, "status", $"'{status}' is not one of open, resolved, all"),
        };

        Cause? causeFilter = null;
        if (cause is not null)
        {
            if (ProtoEnumName.TryParse<Cause>(cause, out var parsed) && parsed != Cause.Unspecified)
            {
                causeFilter = parsed;
            }
            else
            {
                errors["cause"] = [$"'{cause}' is not a cause; known causes: {string.Join(", ", ProtoEnumName.All<Cause>().Skip(1))}"];
            }
        }

        var count = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > MaxLimit))
        {
            errors["limit"] = [$"'{limit}' is not a whole number from 1 to {MaxLimit}"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "bad query parameters");
        }

        correlator.Flush(); // counts changed in the last second are read too
        return TypedResults.Ok(store.List(statusFilter, causeFilter, count).Select(IncidentJson.From).ToList());
    }

    private static Results<Ok<IncidentJson>, ProblemHttpResult> Get(string id, IncidentStore store, Correlator correlator)
    {
        correlator.Flush();
        return store.Get(id) is { } incident
            ? TypedResults.Ok(IncidentJson.From(incident))
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "incident not found", detail: $"no incident has id '{id}'");
    }

    private static IncidentStatus? Fail(Dictionary<string, string[]> errors, string key, string message)
    {
        errors[key] = [message];
        return null;
    }
}
