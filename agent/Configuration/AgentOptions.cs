using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Fleet502.Agent.Configuration;

/// <summary>
/// The agent's settings: <c>/etc/fleet502/agent.json</c> (or <c>--config</c>), overridden by
/// <c>FLEET502_</c> environment variables (<c>FLEET502_Collector__Url</c>).
/// </summary>
public sealed class AgentOptions
{
    /// <summary>Stable id of this agent; default: the host name.</summary>
    public string? AgentId { get; set; }

    /// <summary>Host name reported to the collector; default: the machine's name.</summary>
    public string? Hostname { get; set; }

    /// <summary>What this host is: "load_balancer", "app", ... (reported, used for tiers).</summary>
    public List<string> Roles { get; set; } = [];

    /// <summary>Where checkpoints and the spool live. Default <c>/var/lib/fleet502-agent</c>.</summary>
    [Required]
    public string StateDirectory { get; set; } = "/var/lib/fleet502-agent";

    [Required]
    [ValidateObjectMembers]
    public CollectorOptions Collector { get; set; } = new();

    [Required]
    [ValidateObjectMembers]
    public NginxOptions Nginx { get; set; } = new();

    [Required]
    public ListenerOptions Listeners { get; set; } = new();

    [Required]
    public SupervisorOptions Supervisors { get; set; } = new();

    [Required]
    public PhpFpmOptions PhpFpm { get; set; } = new();

    [Required]
    public KernelOptions Kernel { get; set; } = new();

    [Required]
    public Sources.Heartbeat.HeartbeatOptions Heartbeat { get; set; } = new();

    [Required]
    public Sources.Probes.ProbeOptions Probes { get; set; } = new();
}
