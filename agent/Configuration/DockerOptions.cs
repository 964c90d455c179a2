namespace Fleet502.Agent.Configuration;

/// <summary>Docker containers, read from the Engine API over its unix socket.</summary>
public sealed class DockerOptions
{
    /// <summary>Ask Docker when its socket exists. Default true.</summary>
    public bool Enabled { get; set; } = true;

    public string SocketPath { get; set; } = "/var/run/docker.sock";
}
