using Fleet502.Agent.Sources.Supervisors.Systemd;
using Fleet502.Protos.V1;

namespace Fleet502.Tests.Agent.HostState;

public class SystemctlShowParserTests
{
    private static string Recorded(string name) => RecordedOutput.Read(name);

    [Fact]
    public void An_active_unit_is_running_against_recorded_systemctl_show_output()
    {
        var unit = Assert.Single(SystemctlShowParser.Parse(Recorded("systemctl-show-active.txt")));

        Assert.Equal("nginx.service", unit.Name);
        Assert.Equal(ServiceStatus.Running, unit.Status);
        Assert.Equal("active/running", unit.RawState);
        Assert.Equal(812, unit.MainPid);
        Assert.Equal(12582912ul, unit.MemoryBytes);
        Assert.Equal(new DateTimeOffset(2024, 3, 12, 9, 41, 7, TimeSpan.Zero), unit.StateSince.ToDateTimeOffset());
    }

    [Fact]
    public void A_unit_failed_by_the_oom_killer_against_recorded_systemctl_show_output()
    {
        var unit = Assert.Single(SystemctlShowParser.Parse(Recorded("systemctl-show-oom-failed.txt")));

        Assert.Equal("php8.2-fpm.service", unit.Name);
        Assert.Equal(ServiceStatus.Failed, unit.Status);
        Assert.Equal("oom-kill", unit.Result);
        Assert.True(unit.OomKilled);
        Assert.Equal(9, unit.ExitSignal);
        Assert.Equal(0, unit.ExitCode);
        Assert.Equal(0ul, unit.MemoryBytes);
    }

    [Fact]
    public void A_restart_loop_is_restarting_with_its_count_against_recorded_systemctl_show_output()
    {
        var unit = Assert.Single(SystemctlShowParser.Parse(Recorded("systemctl-show-auto-restart.txt")));

        Assert.Equal(ServiceStatus.Restarting, unit.Status);
        Assert.Equal("activating/auto-restart", unit.RawState);
        Assert.Equal(672u, unit.Restarts);
        Assert.Equal(1, unit.ExitCode);
        Assert.Equal("exit-code", unit.Result);
    }
}
