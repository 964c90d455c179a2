using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.Supervisors.Systemd;

/// <summary>systemd units via <c>systemctl show</c> (one process per pass; D-Bus would spare the fork).</summary>
public sealed class SystemdSupervisor(IReadOnlyList<string> units, string systemctl = "systemctl", string runtimeDirectory = "/run/systemd/system") : IServiceSupervisor
{
    private static readonly Dictionary<string, string> Utc = new(StringComparer.Ordinal) { ["TZ"] = "UTC", ["SYSTEMD_PAGER"] = "" };

    public SupervisorKind Kind => SupervisorKind.Systemd;

    public string ServicePrefix => "";

    // The documented "is systemd the init system" test (sd_booted).
    public bool IsPresent() => Directory.Exists(runtimeDirectory);

    public async Task<IReadOnlyList<ServiceState>> ReadAsync(CancellationToken cancellationToken)
    {
        var args = new List<string> { "show", "--no-pager", "--property=" + SystemctlShowParser.Properties, "--" };
        args.AddRange(units.Count > 0 ? units : ["*.service"]);
        var output = await CommandRunner.RunAsync(systemctl, args, Utc, TimeSpan.FromSeconds(10), cancellationToken);
        return SystemctlShowParser.Parse(output);
    }
}
