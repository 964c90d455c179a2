namespace Fleet502.Agent.Sources.Supervisors.Docker;

/// <summary>The parts of <c>GET /containers/{id}/json</c> a diagnosis needs.</summary>
public sealed class DockerContainerInspect
{
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    public int RestartCount { get; set; }

    public DockerContainerState State { get; set; } = new();
}
