using Fleet502.Diagnosis;
using Fleet502.Diagnosis.Rules;
using Fleet502.Protos.V1;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;
using static Fleet502.Tests.Diagnosis.Rules.HostBuilder;

namespace Fleet502.Tests.Diagnosis.Rules;

public sealed class InvalidHeaderAndUnknownRuleTests
{
    [Fact]
    public void ProxyPassToPhpFpm_IsTheLoadBalancersProtocolMistake()
    {
        var web = Host("web-1", T0, [TcpListener("127.0.0.1", 9000, "php-fpm8.2")])
            .WithConfig(T0, ConfigFixtures.Route("proxy", "http://127.0.0.1:9000"));

        var verdict = new InvalidHeaderRule().Evaluate(SymptomOf(web, Failure(Cause.InvalidHeader, "127.0.0.1:9000")), web)!;

        Assert.Equal("load_balancer", verdict.Tier);
        Assert.Contains("speaks HTTP (proxy_pass) to PHP-FPM", verdict.Headline, StringComparison.Ordinal);
        Assert.Contains("fastcgi_pass 127.0.0.1:9000", verdict.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void AnHttpBackendWithBadHeaders_IsTheApps()
    {
        var web = Host("web-1", T0, [TcpListener("127.0.0.1", 3000)]).WithConfig(T0, ConfigFixtures.Route("proxy", "http://127.0.0.1:3000"));

        var verdict = new InvalidHeaderRule().Evaluate(SymptomOf(web, Failure(Cause.InvalidHeader, "127.0.0.1:3000")), web)!;

        Assert.Equal("app", verdict.Tier);
        Assert.Equal("invalid header: node (pid 812, app.service) on web-1 answers with a response nginx cannot parse", verdict.Headline);
    }

    [Fact]
    public void Unknown_IsHonestAboutWhatWasChecked()
    {
        var web = Host("web-1", T0, [TcpListener("127.0.0.1", 3000)]);

        var verdict = new UnknownCauseRule().Evaluate(SymptomOf(web, Failure(Cause.Unknown, "127.0.0.1:3000")), web)!;

        Assert.Equal(0.3, verdict.Confidence);
        Assert.Equal("unknown", verdict.Tier);
        Assert.Contains(verdict.Evidence, e => e.Text == "web-1: 127.0.0.1:3000 listens (listener snapshot 12:03:01)");
        Assert.Contains(verdict.Evidence, e => e.Text == "web-1: every known service is running");
    }

    [Fact]
    public void RuleSet_AsksEveryBuiltInRuleBeforeTheFallback()
    {
        var names = RuleSet.Default.Rules.Select(r => r.Name).ToList();

        Assert.Equal(ReportedCauseRule.RuleName, names[^1]);
        Assert.Equal(HostDownRule.RuleName, RuleSet.Default.For(SymptomOf(Host("lb", null, null), Failure(Cause.HostUnreachable, "10.0.0.5:80"))).Name);
        Assert.Equal(ReportedCauseRule.RuleName, RuleSet.Default.For(SymptomOf(Host("lb", null, null), Failure(Cause.DnsFailure, "10.0.0.5:80"))).Name);
        var replaced = RuleSet.Default.With(new HostDownRule(TimeSpan.FromMinutes(1)));
        Assert.Equal(TimeSpan.FromMinutes(1), Assert.IsType<HostDownRule>(replaced.Named(HostDownRule.RuleName)).SilentAfter);
        Assert.Equal(names, replaced.Rules.Select(r => r.Name));
    }
}
