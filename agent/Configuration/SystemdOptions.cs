namespace Fleet502.Agent.Configuration;

/// <summary>systemd units, read with <c>systemctl show</c>.</summary>
public sealed class SystemdOptions
{
    /// <summary>Ask systemd when /run/systemd/system exists. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Units or glob patterns to report. Default every loaded service (<c>*.service</c>).</summary>
    public List<string> Units { get; set; } = [];

    public string SystemctlPath { get; set; } = "systemctl";
}
