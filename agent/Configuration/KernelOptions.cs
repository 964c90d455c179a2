namespace Fleet502.Agent.Configuration;

/// <summary>Kernel OOM-killer events from /dev/kmsg.</summary>
public sealed class KernelOptions
{
    /// <summary>Read /dev/kmsg (needs root or CAP_SYSLOG when kernel.dmesg_restrict=1). Default true.</summary>
    public bool Enabled { get; set; } = true;

    public string KmsgPath { get; set; } = "/dev/kmsg";

    /// <summary>At start, OOM kills this recent are still reported (the ring buffer holds older ones too). Default 10 min.</summary>
    public TimeSpan ReplayWindow { get; set; } = TimeSpan.FromMinutes(10);
}
