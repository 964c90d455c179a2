using System.Net;
using Fleet502.Diagnosis;
using Fleet502.Diagnosis.Rules;
using Fleet502.Protos.V1;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;

namespace Fleet502.Tests.Diagnosis.Rules;

/// <summary>The rule is a pure function of (symptom, owner state): no collector needed.</summary>
public sealed class BackendDownRuleTests
{
    private static readonly BackendDownRule Rule = new();
    private static readonly HostState Lb = Host("lb-1", null, null, "192.0.2.1");

    [Fact]
    public void Evaluate_NothingOnThePort_IsConfirmedWithHighConfidence()
    {
        var owner = Host("app-1", T0, [TcpListener("0.0.0.0", 22, "sshd")], "192.0.2.10");

        var verdict = Rule.Evaluate(Symptom("192.0.2.10:3000"), owner);

        Assert.NotNull(verdict);
        Assert.Equal(Cause.BackendDown, verdict.Cause);
        Assert.Equal(0.95, verdict.Confidence);
        Assert.Equal("backend down: nothing listens on 192.0.2.10:3000 on app-1", verdict.Headline);
        Assert.Equal("app", verdict.Tier);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("192.0.2.10")]
    public void Evaluate_AListenerThatAcceptsTheTargetAfterTheError_OpensNothing(string bound)
    {
        var owner = Host("app-1", T0.AddSeconds(5), [TcpListener(bound, 3000)], "192.0.2.10");

        Assert.Null(Rule.Evaluate(Symptom("192.0.2.10:3000"), owner));
    }

    [Fact]
    public void Evaluate_ListenerOnlyOnLoopback_SaysSoAndSuggestsTheBindAddress()
    {
        var owner = Host("app-1", T0, [TcpListener("127.0.0.1", 3000)], "192.0.2.10");

        var verdict = Rule.Evaluate(Symptom("192.0.2.10:3000"), owner);

        Assert.NotNull(verdict);
        Assert.Contains(verdict.Evidence, e => e.Text == "app-1: port 3000 is bound to 127.0.0.1 only, by node (pid 812, app.service)");
        Assert.Contains("listen on 192.0.2.10 (or 0.0.0.0)", verdict.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ListenerSeenOnlyBeforeTheError_IsKeptWithLowConfidence()
    {
        var owner = Host("app-1", T0.AddSeconds(-30), [TcpListener("0.0.0.0", 3000)], "192.0.2.10");

        var verdict = Rule.Evaluate(Symptom("192.0.2.10:3000"), owner);

        Assert.Equal(0.5, verdict?.Confidence);
    }

    [Fact]
    public void Evaluate_NoSnapshotYet_OrNoAgentOnTheHost_LowersConfidence()
    {
        Assert.Equal(0.6, Rule.Evaluate(Symptom("192.0.2.10:3000"), Host("app-1", null, null, "192.0.2.10"))?.Confidence);
        var unknown = Rule.Evaluate(Symptom("198.51.100.9:3000"), owner: null);
        Assert.Equal(0.5, unknown?.Confidence);
        Assert.Contains(unknown!.Evidence, e => e.Text.Contains("no agent reports address 198.51.100.9", StringComparison.Ordinal));
    }

    [Fact]
    public void ConfirmRecovery_OnlyWhenTheListenerIsBack()
    {
        var target = TargetAddress.Parse("127.0.0.1:3000");

        Assert.Null(Rule.ConfirmRecovery(target, Host("web-1", T0, []), T0));
        Assert.NotNull(Rule.ConfirmRecovery(target, Host("web-1", T0, [TcpListener("127.0.0.1", 3000)]), T0));
    }

    [Fact]
    public void AppliesTo_OnlyRefusedTcpTargets()
    {
        Assert.True(Rule.AppliesTo(Symptom("127.0.0.1:3000")));
        Assert.False(Rule.AppliesTo(Symptom("backend")));
    }

    private static Symptom Symptom(string target)
    {
        var e = Refused(1, T0, target.Contains(':', StringComparison.Ordinal) ? target : "127.0.0.1:1");
        if (!target.Contains(':', StringComparison.Ordinal))
        {
            e.UpstreamError.Target = new UpstreamTarget { Address = target, IsGroup = true };
        }

        return Fleet502.Diagnosis.Symptom.From(Lb, e)!;
    }

    private static HostState Host(string id, DateTimeOffset? sampledAt, Listener[]? listeners, params string[] addresses)
    {
        ListenerSnapshot? snapshot = null;
        if (listeners is not null)
        {
            snapshot = new ListenerSnapshot();
            snapshot.Listeners.AddRange(listeners);
        }

        return new HostState(id, id, addresses.Select(IPAddress.Parse).ToHashSet(), snapshot, sampledAt);
    }
}
