namespace Fleet502.Agent.Sources.Supervisors.Docker;

/// <summary>A container port as the Engine API lists it.</summary>
public sealed class DockerPort
{
    public string? IP { get; set; }

    public int PrivatePort { get; set; }

    public int PublicPort { get; set; }

    public string Type { get; set; } = "tcp";
}
