using System.Text.Json.Serialization;

namespace Fleet502.Agent.Sources.Supervisors.Docker;

/// <summary>One entry of <c>GET /containers/json?all=1</c> (Engine API).</summary>
public sealed class DockerContainerSummary
{
    public string Id { get; set; } = "";

    public List<string> Names { get; set; } = [];

    public string State { get; set; } = "";

    public string Status { get; set; } = "";

    public List<DockerPort> Ports { get; set; } = [];
}
