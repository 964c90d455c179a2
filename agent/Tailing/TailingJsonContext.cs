using System.Text.Json.Serialization;

namespace Fleet502.Agent.Tailing;

/// <summary>Source-generated JSON for checkpoints (no reflection: NativeAOT-clean).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CheckpointFile))]
internal sealed partial class TailingJsonContext : JsonSerializerContext;
