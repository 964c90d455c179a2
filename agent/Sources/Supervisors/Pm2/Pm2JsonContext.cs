using System.Text.Json.Serialization;

namespace Fleet502.Agent.Sources.Supervisors.Pm2;

/// <summary>Source-generated JSON for <c>pm2 jlist</c> (NativeAOT: no reflection).</summary>
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(List<Pm2Process>))]
public sealed partial class Pm2JsonContext : JsonSerializerContext;
