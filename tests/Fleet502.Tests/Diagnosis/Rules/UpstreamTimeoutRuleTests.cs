using Fleet502.Diagnosis.Rules;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;
using static Fleet502.Tests.Diagnosis.Rules.HostBuilder;

namespace Fleet502.Tests.Diagnosis.Rules;

public sealed class UpstreamTimeoutRuleTests
{
    private static readonly UpstreamTimeoutRule Rule = new();

    [Fact]
    public void AccessWindowLatency_AndTheConfiguredTimeout_AreInTheHeadline()
    {
        var window = new AccessWindow
        {
            Server = "shop.example.com", Upstream = "10.0.0.5:3000", Start = Timestamp.FromDateTimeOffset(T0.AddSeconds(-11)), Seconds = 10,
            Requests = 40, Attempts = 40, UpstreamResponseTime = new LatencyQuantiles { Count = 40, P50Ms = 2100, P99Ms = 30000, MaxMs = 30001 },
        };
        window.UpstreamStatuses.Add(504, 6);
        var lb = Host("lb-1", T0, [], "192.0.2.1")
            .WithConfig(T0, ConfigFixtures.Route("proxy", "http://10.0.0.5:3000", timeouts: new Dictionary<string, uint> { ["proxy_read_timeout"] = 30000 }))
            .WithWindow(T0.AddSeconds(-1), window);

        var verdict = Rule.Evaluate(SymptomOf(lb, Failure(Cause.UpstreamTimeout, "10.0.0.5:3000", status: 504)), owner: null)!;

        Assert.Equal(0.9, verdict.Confidence);
        Assert.Equal("upstream timeout: 10.0.0.5:3000 answers slower than lb-1's proxy_read_timeout 30s (p99 30s, max 30.001s)", verdict.Headline);
        Assert.Contains(verdict.Evidence, e => e.Text.Contains("40 attempts, 6 × 504, upstream response time p50 2.1s", StringComparison.Ordinal));
    }

    [Fact]
    public void WithoutAccessWindows_TheLatencyIsUnknownAndTheDefaultTimeoutIsNamed()
    {
        var lb = Host("lb-1", T0, [], "192.0.2.1");

        var verdict = Rule.Evaluate(SymptomOf(lb, Failure(Cause.UpstreamTimeout, "10.0.0.5:3000", status: 504)), owner: null)!;

        Assert.Equal(0.7, verdict.Confidence);
        Assert.Contains("proxy_read_timeout 60s", verdict.Headline, StringComparison.Ordinal);
        Assert.Contains(verdict.Evidence, e => e.Text.Contains("latency is unknown", StringComparison.Ordinal));
    }
}
