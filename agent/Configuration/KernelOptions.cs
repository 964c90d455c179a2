namespace Fleet502.Agent.Configuration;

/// <summary>Kernel OOM-killer events from /dev/kmsg (or the journal's kernel messages when /dev/kmsg is unreadable), and kernel/systemd lines from log files.</summary>
public sealed class KernelOptions
{
    /// <summary>Read /dev/kmsg (needs root or CAP_SYSLOG when kernel.dmesg_restrict=1). Default true.</summary>
    public bool Enabled { get; set; } = true;

    public string KmsgPath { get; set; } = "/dev/kmsg";

    /// <summary>When /dev/kmsg cannot be read, follow <c>journalctl -k -f -o json</c> instead (needs the journal and read access to it). Default true.</summary>
    public bool JournalFallback { get; set; } = true;

    public string JournalctlPath { get; set; } = "journalctl";

    /// <summary>At start, OOM kills this recent are still reported (the ring buffer holds older ones too). Default 10 min.</summary>
    public TimeSpan ReplayWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Kernel/systemd log files to follow for OOM kills and unit failures (paths or globs), e.g.
    /// <c>/var/log/kern.log</c>, <c>/var/log/syslog</c>, <c>/var/log/messages</c>: for hosts where /dev/kmsg
    /// is not readable (containers, no CAP_SYSLOG). Default none (kmsg and the supervisor samplers cover a normal host).
    /// </summary>
    public List<string> LogFiles { get; set; } = [];
}
