namespace Fleet502.Agent.Configuration;

/// <summary>Which process supervisors are asked, and how often. Each is auto-detected unless disabled.</summary>
public sealed class SupervisorOptions
{
    /// <summary>How often supervisors are asked; changes are sent at once. Default 2 s.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Every service is sent again this often so a restarted collector rebuilds state. Default 30 s.</summary>
    public TimeSpan FullSnapshotInterval { get; set; } = TimeSpan.FromSeconds(30);

    public SupervisordOptions Supervisord { get; set; } = new();

    public SystemdOptions Systemd { get; set; } = new();

    public DockerOptions Docker { get; set; } = new();

    public Pm2Options Pm2 { get; set; } = new();
}
