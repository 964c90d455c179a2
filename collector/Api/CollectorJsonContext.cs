using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet502.Collector.Notifiers;

namespace Fleet502.Collector.Api;

/// <summary>Source-generated JSON for everything the collector writes: snake_case, nulls kept.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(IncidentJson))]
[JsonSerializable(typeof(List<IncidentJson>))]
[JsonSerializable(typeof(List<AgentJson>))]
[JsonSerializable(typeof(WebhookPayload))]
internal sealed partial class CollectorJsonContext : JsonSerializerContext;
