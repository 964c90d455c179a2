namespace Fleet502.Agent.Sources.Processes;

/// <summary>What the agent knows about one process from /proc/&lt;pid&gt;.</summary>
public sealed record ProcessInfo(
    int Pid,
    int ParentPid,
    string Name,
    string CommandLine,
    uint Uid,
    string Cgroup,
    string SystemdUnit,
    string ContainerId,
    ulong StartTicks);
