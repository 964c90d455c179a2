using Fleet502.Diagnosis.Rules;
using Fleet502.Protos.V1;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;
using static Fleet502.Tests.Diagnosis.Rules.HostBuilder;

namespace Fleet502.Tests.Diagnosis.Rules;

public sealed class HeaderTooBigRuleTests
{
    private static readonly HeaderTooBigRule Rule = new();

    [Fact]
    public void ConfiguredBuffers_AreQuotedAndDoubledInTheFix_AndTheLoadBalancerIsBlamed()
    {
        var lb = Host("lb-1", T0, [], "192.0.2.1").WithConfig(T0, ConfigFixtures.Route("proxy", "http://10.0.0.5:3000",
            buffers: new Dictionary<string, string> { ["proxy_buffer_size"] = "8k", ["proxy_buffers"] = "8 8k" }));
        var app = Host("app-1", T0, [TcpListener("0.0.0.0", 3000)], "10.0.0.5");

        var verdict = Rule.Evaluate(SymptomOf(lb, Failure(Cause.HeaderTooBig, "10.0.0.5:3000")), app)!;

        Assert.Equal("load_balancer", verdict.Tier);
        Assert.Equal(0.95, verdict.Confidence);
        Assert.StartsWith("header too big: lb-1's proxy_buffer_size (8k) is smaller than the response headers of 10.0.0.5:3000", verdict.Headline, StringComparison.Ordinal);
        Assert.Contains(verdict.Evidence, e => e.Text.Contains("has proxy_buffer_size 8k, proxy_buffers 8 8k", StringComparison.Ordinal));
        Assert.Contains("proxy_buffer_size 16k; proxy_buffers 8 16k; proxy_busy_buffers_size 32k", verdict.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void FastCgiWithoutConfig_UsesTheDefaultPageSize()
    {
        var web = Host("web-1", T0, []);

        var verdict = Rule.Evaluate(SymptomOf(web, Failure(Cause.HeaderTooBig, "unix:/run/php/fpm.sock")), web)!;

        Assert.Equal(0.8, verdict.Confidence);
        Assert.Contains("fastcgi_buffer_size 16k", verdict.Fix, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("16k", 16384)]
    [InlineData("1m", 1048576)]
    [InlineData("4096", 4096)]
    public void TryBytes_ReadsNginxSizes(string text, int bytes)
    {
        Assert.True(HeaderTooBigRule.TryBytes(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }
}
