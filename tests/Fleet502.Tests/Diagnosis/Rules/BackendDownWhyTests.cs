using Fleet502.Diagnosis;
using Fleet502.Diagnosis.Rules;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;
using static Fleet502.Tests.Diagnosis.Rules.HostBuilder;

namespace Fleet502.Tests.Diagnosis.Rules;

/// <summary>Backend down, and why: the service that owned the target and what its supervisor says.</summary>
public sealed class BackendDownWhyTests
{
    private static readonly BackendDownRule Rule = new();
    private static readonly HostState Lb = Host("lb-1", null, null, "192.0.2.1");
    private static readonly Listener AppListener = TcpListener("0.0.0.0", 3000).OwnedBy("myapp.service");

    [Fact]
    public void OomKilledService_NamesTheKillTimeAndTheMemoryFix()
    {
        var app = Host("app-1", T0.AddSeconds(2), [], "10.0.0.5")
            .WithPast(T0.AddSeconds(-1), AppListener)
            .WithService(T0, Systemd("myapp.service", ServiceStatus.Failed, T0, result: "oom-kill"))
            .WithOomKill(T0, new OomKill { Pid = 812, Process = "node", AnonRssKb = 2_097_152, SystemdUnit = "myapp.service", Raw = "Out of memory: Killed process 812 (node) total-vm:3000000kB, anon-rss:2097152kB" });

        var verdict = Rule.Evaluate(SymptomOf(Lb, Refused(1, T0.AddSeconds(1), "10.0.0.5:3000")), app)!;

        Assert.Equal("backend down: myapp.service on app-1 was OOM-killed at 12:03:01 with 2048 MiB anon-rss; nothing listens on 10.0.0.5:3000 since", verdict.Headline);
        Assert.Contains(verdict.Evidence, e => e.Text == "app-1: node (pid 812, myapp.service) listened on 10.0.0.5:3000 until 12:03:00");
        Assert.Contains(verdict.Evidence, e => e.Source == "kernel" && e.Text.Contains("Killed process 812 (node)", StringComparison.Ordinal));
        Assert.Contains("MemoryMax= of myapp.service", verdict.Fix, StringComparison.Ordinal);
        Assert.Contains("systemctl restart myapp.service", verdict.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void CrashLoop_CountsTheRestarts()
    {
        var app = Host("app-1", T0, [], "10.0.0.5").WithPast(T0.AddSeconds(-5), AppListener)
            .WithService(T0, Systemd("myapp.service", ServiceStatus.Restarting, T0.AddSeconds(-2), restarts: 7, exitCode: 1));

        var verdict = Rule.Evaluate(SymptomOf(Lb, Refused(1, T0, "10.0.0.5:3000")), app)!;

        Assert.Contains("myapp.service on app-1 is in a crash loop (7 restarts", verdict.Headline, StringComparison.Ordinal);
        Assert.Contains("exit code 1", verdict.Headline, StringComparison.Ordinal);
        Assert.Contains("journalctl -u myapp.service", verdict.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void FailedUnit_StoppedUnit_AndNeverStarted_AreToldApart()
    {
        Verdict Judge(ServiceState s) => Rule.Evaluate(SymptomOf(Lb, Refused(1, T0, "10.0.0.5:3000")),
            Host("app-1", T0, [], "10.0.0.5").WithPast(T0.AddSeconds(-5), AppListener).WithService(T0, s))!;

        Assert.Contains("myapp.service on app-1 failed at 12:02:31 (failed/failed, result exit-code, exit code 3)",
            Judge(Systemd("myapp.service", ServiceStatus.Failed, T0.AddSeconds(-30), result: "exit-code", exitCode: 3)).Headline, StringComparison.Ordinal);
        Assert.Contains("was stopped at 12:02:01", Judge(Systemd("myapp.service", ServiceStatus.Stopped, T0.AddMinutes(-1), raw: "inactive/dead")).Headline, StringComparison.Ordinal);
        var never = Judge(Systemd("myapp.service", ServiceStatus.Stopped));
        Assert.Contains("was never started", never.Headline, StringComparison.Ordinal);
        Assert.Contains("enable it at boot", never.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void DockerExited_AndPm2Errored_UseTheirOwnWordsAndCommands()
    {
        var docker = new ServiceState { Supervisor = SupervisorKind.Docker, Name = "api", Id = "abc123def456", Status = ServiceStatus.Exited, ExitCode = 137, StateSince = Timestamp.FromDateTimeOffset(T0), Ports = { "0.0.0.0:8080->80/tcp" } };
        var viaPorts = Rule.Evaluate(SymptomOf(Lb, Refused(1, T0, "10.0.0.5:8080")), Host("app-1", T0, [], "10.0.0.5").WithService(T0, docker))!;
        Assert.Equal("backend down: api on app-1 container exited at 12:03:01, exit code 137; nothing listens on 10.0.0.5:8080 since", viaPorts.Headline);
        Assert.Contains("docker logs --tail 100 api", viaPorts.Fix, StringComparison.Ordinal);
        Assert.Contains(viaPorts.Evidence, e => e.Text == "app-1: api publishes port 8080");

        var pm2 = new ServiceState { Supervisor = SupervisorKind.Pm2, Name = "web", Status = ServiceStatus.Failed, RawState = "errored", Restarts = 1, StateSince = Timestamp.FromDateTimeOffset(T0) };
        var errored = Rule.Evaluate(SymptomOf(Lb, Refused(1, T0, "10.0.0.5:3000")),
            Host("app-1", T0, [], "10.0.0.5").WithPast(T0, TcpListener("0.0.0.0", 3000).OwnedBy("web")).WithService(T0, pm2))!;
        Assert.Contains("web on app-1 is errored in pm2 since 12:03:01", errored.Headline, StringComparison.Ordinal);
        Assert.Contains("pm2 restart web", errored.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void NoServiceKnown_KeepsTheListenerHeadline()
    {
        var verdict = Rule.Evaluate(SymptomOf(Lb, Refused(1, T0, "10.0.0.5:3000")), Host("app-1", T0, [], "10.0.0.5"))!;

        Assert.Equal("backend down: nothing listens on 10.0.0.5:3000 on app-1", verdict.Headline);
    }
}
