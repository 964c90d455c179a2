using System.Text.Json.Serialization;

namespace Fleet502.Agent.Sources.Supervisors.Docker;

/// <summary>Source-generated JSON for the Engine API (NativeAOT: no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(List<DockerContainerSummary>))]
[JsonSerializable(typeof(DockerContainerInspect))]
public sealed partial class DockerJsonContext : JsonSerializerContext;
