using Fleet502.Diagnosis.Rules;
using Fleet502.Protos.V1;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;
using static Fleet502.Tests.Diagnosis.Rules.HostBuilder;

namespace Fleet502.Tests.Diagnosis.Rules;

public sealed class NoLiveUpstreamsRuleTests
{
    private static readonly NoLiveUpstreamsRule Rule = new();

    [Fact]
    public void EveryServerOfTheGroup_IsCheckedOnItsOwnHost()
    {
        var lb = Host("lb-1", T0, [], "192.0.2.1")
            .WithConfig(T0, ConfigFixtures.Route("proxy", "http://orders_pool", upstream: "orders_pool").WithGroup("orders_pool", "10.0.0.5:3000", "10.0.0.6:3000"));
        var app1 = Host("app-1", T0, [], "10.0.0.5")
            .WithPast(T0.AddSeconds(-4), TcpListener("0.0.0.0", 3000).OwnedBy("orders.service"))
            .WithService(T0, Systemd("orders.service", ServiceStatus.Failed, T0.AddSeconds(-3), result: "exit-code", exitCode: 1));
        var app2 = Host("app-2", T0, [], "10.0.0.6");

        var verdict = Rule.Evaluate(SymptomOf(lb, Failure(Cause.NoLiveUpstreams, "orders_pool"), lb, app1, app2), owner: null)!;

        Assert.Equal(0.95, verdict.Confidence);
        Assert.Equal("load_balancer", verdict.Tier);
        Assert.StartsWith("no live upstreams: all 2 servers of orders_pool are down (10.0.0.5:3000 down: orders.service on app-1 failed at 12:02:58", verdict.Headline, StringComparison.Ordinal);
        Assert.Contains("10.0.0.6:3000 down: nothing listens", verdict.Headline, StringComparison.Ordinal);
        Assert.Contains(verdict.Evidence, e => e.Text == "app-2: nothing listens on 10.0.0.6:3000 (listener snapshot 12:03:01)");
        Assert.Contains("systemctl restart orders.service", verdict.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void ServersThatListen_MeanTransientFailures()
    {
        var lb = Host("lb-1", T0, [TcpListener("127.0.0.1", 9001)], "192.0.2.1")
            .WithConfig(T0, ConfigFixtures.Route("proxy", "http://pool", upstream: "pool").WithGroup("pool", "127.0.0.1:9001"));

        var verdict = Rule.Evaluate(SymptomOf(lb, Failure(Cause.NoLiveUpstreams, "pool"), lb), owner: null)!;

        Assert.Equal(0.7, verdict.Confidence);
        Assert.Contains("127.0.0.1:9001 listening", verdict.Headline, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownGroup_SaysTheConfigWasNotRead()
    {
        var lb = Host("lb-1", T0, [], "192.0.2.1");

        var verdict = Rule.Evaluate(SymptomOf(lb, Failure(Cause.NoLiveUpstreams, "pool")), owner: null)!;

        Assert.Equal(0.6, verdict.Confidence);
        Assert.Contains(verdict.Evidence, e => e.Text.Contains("upstream pool is not in the nginx config", StringComparison.Ordinal));
    }
}
