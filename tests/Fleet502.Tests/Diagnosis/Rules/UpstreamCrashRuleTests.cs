using Fleet502.Diagnosis.Rules;
using Fleet502.Protos.V1;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;
using static Fleet502.Tests.Diagnosis.Rules.HostBuilder;

namespace Fleet502.Tests.Diagnosis.Rules;

public sealed class UpstreamCrashRuleTests
{
    private static readonly UpstreamCrashRule Rule = new();
    private static readonly Fleet502.Diagnosis.HostState Lb = Host("lb-1", null, null, "192.0.2.1");

    [Fact]
    public void OomKillWithinTheWindow_IsTheCause()
    {
        var app = Host("app-1", T0, [TcpListener("0.0.0.0", 3000).OwnedBy("myapp.service", pid: 900)], "10.0.0.5")
            .WithService(T0, Systemd("myapp.service", ServiceStatus.Running, T0, restarts: 1, pid: 900))
            .WithOomKill(T0.AddSeconds(-1), new OomKill { Pid = 812, Process = "node", SystemdUnit = "myapp.service" });

        var verdict = Rule.Evaluate(SymptomOf(Lb, Failure(Cause.UpstreamCrash, "10.0.0.5:3000")), app)!;

        Assert.Equal(0.95, verdict.Confidence);
        Assert.Equal("upstream crash: myapp.service on app-1 was OOM-killed at 12:03:00, mid-response", verdict.Headline);
    }

    [Fact]
    public void RestartWithinTheWindow_IsTheCause_AnOldOneIsNot()
    {
        Fleet502.Diagnosis.HostState App(DateTimeOffset since) => Host("app-1", T0, [TcpListener("0.0.0.0", 3000).OwnedBy("myapp.service", pid: 900)], "10.0.0.5")
            .WithService(T0, Systemd("myapp.service", ServiceStatus.Running, since, restarts: 4, pid: 900));

        var recent = Rule.Evaluate(SymptomOf(Lb, Failure(Cause.UpstreamCrash, "10.0.0.5:3000")), App(T0.AddSeconds(3)))!;
        Assert.Equal(0.9, recent.Confidence);
        Assert.Equal("upstream crash: myapp.service on app-1 restarted at 12:03:04, mid-response", recent.Headline);

        var old = Rule.Evaluate(SymptomOf(Lb, Failure(Cause.UpstreamCrash, "10.0.0.5:3000")), App(T0.AddHours(-1)))!;
        Assert.Equal(0.6, old.Confidence);
        Assert.Contains(old.Evidence, e => e.Text.Contains("none near 12:03:01", StringComparison.Ordinal));
    }
}
