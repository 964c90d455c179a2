using Fleet502.Diagnosis;
using Fleet502.Diagnosis.Rules;
using Fleet502.Protos.V1;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;
using static Fleet502.Tests.Diagnosis.Rules.HostBuilder;

namespace Fleet502.Tests.Diagnosis.Rules;

public sealed class HostDownRuleTests
{
    private static readonly HostDownRule Rule = new(TimeSpan.FromSeconds(30));
    private static readonly HostState Lb = Host("lb-1", null, null, "192.0.2.1");

    [Fact]
    public void ConnectTimeouts_ToAHostWhoseAgentIsSilent_AreHostDown()
    {
        var app = Host("app-1", T0.AddMinutes(-2), [], "10.0.0.5") with { Connected = false };

        var verdict = Rule.Evaluate(SymptomOf(Lb, Failure(Cause.ConnectTimeout, "10.0.0.5:3000")), app)!;

        Assert.Equal(Cause.HostDown, verdict.Cause);
        Assert.Equal(0.95, verdict.Confidence);
        Assert.Equal("host", verdict.Tier);
        Assert.Equal("host down: app-1 (10.0.0.5) does not answer and its agent has been silent since 12:01:01", verdict.Headline);
    }

    [Fact]
    public void AnAgentHeardRecently_MeansTheHostIsUp_SoItStaysAConnectTimeout()
    {
        var app = Host("app-1", T0.AddSeconds(-5), [], "10.0.0.5");

        var verdict = Rule.Evaluate(SymptomOf(Lb, Failure(Cause.ConnectTimeout, "10.0.0.5:3000")), app)!;

        Assert.Equal(Cause.ConnectTimeout, verdict.Cause);
        Assert.Contains("app-1 is up (its agent was heard at 12:02:56)", verdict.Headline, StringComparison.Ordinal);
        Assert.Contains("firewall", verdict.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Recovery_NeedsTheAgentBack()
    {
        var target = TargetAddress.Parse("10.0.0.5:3000");

        Assert.Null(Rule.ConfirmRecovery(target, Host("app-1", T0, [], "10.0.0.5") with { Connected = false }, T0.AddSeconds(5)));
        Assert.Null(Rule.ConfirmRecovery(target, Host("app-1", T0, [], "10.0.0.5"), T0.AddMinutes(5)));
        Assert.NotNull(Rule.ConfirmRecovery(target, Host("app-1", T0, [], "10.0.0.5"), T0.AddSeconds(5)));
    }

    [Fact]
    public void LoopbackTargets_AreNeverHostDown()
    {
        Assert.False(Rule.AppliesTo(SymptomOf(Lb, Failure(Cause.ConnectTimeout, "127.0.0.1:3000"))));
    }
}
