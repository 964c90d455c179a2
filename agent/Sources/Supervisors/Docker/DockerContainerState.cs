namespace Fleet502.Agent.Sources.Supervisors.Docker;

/// <summary><c>State</c> of an inspected container.</summary>
public sealed class DockerContainerState
{
    public string Status { get; set; } = "";

    public bool Restarting { get; set; }

    public bool OOMKilled { get; set; }

    public int Pid { get; set; }

    public int ExitCode { get; set; }

    public string Error { get; set; } = "";

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public DockerHealth? Health { get; set; }
}
