using System.Text.Json.Serialization;

namespace Fleet502.Agent.Sources.PhpFpm;

/// <summary>Source-generated JSON for the status page (NativeAOT: no reflection).</summary>
[JsonSerializable(typeof(FpmStatus))]
public sealed partial class FpmStatusJsonContext : JsonSerializerContext;
