namespace Fleet502.Agent.Sources.Supervisors.Docker;

/// <summary><c>State.Health</c>: healthy, unhealthy, starting.</summary>
public sealed class DockerHealth
{
    public string Status { get; set; } = "";

    public int FailingStreak { get; set; }
}
