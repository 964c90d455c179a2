using System.Net;
using Fleet502.Agent.Diagnosis;
using Fleet502.Diagnosis;
using Fleet502.Diagnosis.Rules;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;

namespace Fleet502.Tests.Diagnosis.Rules;

/// <summary>A CDN error page for a healthy origin is the CDN tier, never the app.</summary>
public sealed class CdnOriginRuleTests
{
    private static readonly CdnOriginRule Rule = new();

    [Fact]
    public void Evaluate_OriginAcceptsConnections_IsTheCdnTierWithTheFixForTheStatus()
    {
        var origin = Host(TcpListener("0.0.0.0", 8080, "nginx"));

        var verdict = Rule.Evaluate(Probe(origin, 521), origin);

        Assert.NotNull(verdict);
        Assert.Equal(Cause.CdnOriginUnreachable, verdict.Cause);
        Assert.Equal("cdn", verdict.Tier);
        Assert.Contains("allow the CDN's IP ranges", verdict.Fix, StringComparison.Ordinal);
        Assert.Contains(verdict.Evidence, e => e.Text.Contains("cf-ray: 8f1c2a3b4c5d6e7f-LHR", StringComparison.Ordinal));
        Assert.Contains(verdict.Evidence, e => e.Text == "origin-1: nginx (pid 812, app.service) listens on 127.0.0.1:8080 (listener snapshot 12:03:01)");
    }

    [Fact]
    public void Evaluate_OriginNotListening_IsTheOriginDownNotTheCdn()
    {
        var origin = Host(TcpListener("0.0.0.0", 22, "sshd"));

        var verdict = Rule.Evaluate(Probe(origin, 521), origin);

        Assert.Equal(Cause.BackendDown, verdict?.Cause);
        Assert.Equal("load_balancer", verdict!.Tier);
    }

    [Theory]
    [InlineData(522, "cloudflare", "", true)]
    [InlineData(502, "cloudflare", "<html><div id=\"cf-error-details\">Bad gateway Error code 502</div></html>", true)]
    [InlineData(502, "cloudflare", "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>", true)]
    [InlineData(502, "cloudflare", "<html><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>", false)]
    [InlineData(521, "nginx", "", false)]
    [InlineData(200, "cloudflare", "ok", false)]
    public void CdnGenerated_TellsCloudflaresOwnPagesFromRelayedOnes(int status, string server, string body, bool expected) =>
        Assert.Equal(expected, CdnProbe.CdnGenerated(status, server, body));

    [Fact]
    public void RuleSet_AsksItForCdnSymptoms()
    {
        var origin = Host();
        Assert.IsType<CdnOriginRule>(RuleSet.Default.For(Probe(origin, 522)));
    }

    private static Symptom Probe(HostState reporter, int status)
    {
        var error = new UpstreamError
        {
            Cause = Cause.CdnOriginUnreachable,
            Target = Tcp("127.0.0.1:8080"),
            Status = status,
            Count = 1,
            LastTime = Timestamp.FromDateTimeOffset(T0),
            Raw = $"GET https://shop.example.com/ -> {status}, server: cloudflare, cf-ray: 8f1c2a3b4c5d6e7f-LHR (the CDN's own error page); the same request sent to the origin 127.0.0.1:8080 directly -> 200",
        };
        return Symptom.From(reporter, new Event { Time = Timestamp.FromDateTimeOffset(T0), Source = new SourceRef { Path = "probe https://shop.example.com/" }, UpstreamError = error })!;
    }

    private static HostState Host(params Listener[] listeners)
    {
        var snapshot = new ListenerSnapshot();
        snapshot.Listeners.AddRange(listeners);
        return new HostState("origin-1", "origin-1", new HashSet<IPAddress>(), snapshot, T0);
    }
}
