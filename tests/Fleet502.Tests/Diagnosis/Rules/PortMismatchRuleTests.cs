using System.Net;
using Fleet502.Diagnosis;
using Fleet502.Diagnosis.Rules;
using Fleet502.Protos.V1;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;

namespace Fleet502.Tests.Diagnosis.Rules;

/// <summary>proxy_pass names port A, the service listens on B: blame the proxy's config, never the healthy app.</summary>
public sealed class PortMismatchRuleTests
{
    private static readonly PortMismatchRule Rule = new();

    [Fact]
    public void Evaluate_TheRoutesServiceListensOnAnotherPort_IsAPortMismatchOfTheLoadBalancerWithTheRouteToFix()
    {
        var config = Config(Route("http://127.0.0.1:3000", "location /orders/", file: "/etc/nginx/sites-enabled/shop", line: 14));
        var web = Host("web-1", T0, config,
            Named(TcpListener("127.0.0.1", 3001, "php"), "supervisord:orders"),
            Named(TcpListener("0.0.0.0", 5432, "postgres"), ""),
            Named(TcpListener("127.0.0.1", 9200, "java"), "elasticsearch.service"));

        var verdict = Rule.Evaluate(SymptomFrom(web, "127.0.0.1:3000"), web);

        Assert.NotNull(verdict);
        Assert.Equal(Cause.PortMismatch, verdict.Cause);
        Assert.Equal("load_balancer", verdict.Tier);
        Assert.Equal(0.85, verdict.Confidence);
        Assert.StartsWith("proxy_pass http://127.0.0.1:3001 in /etc/nginx/sites-enabled/shop:14", verdict.Fix, StringComparison.Ordinal);
        Assert.Contains(verdict.Evidence, e => e.Text == "web-1: nothing listens on 127.0.0.1:3000 (listener snapshot 12:03:01)");
        Assert.Contains(verdict.Evidence, e => e.Text.StartsWith("web-1: php (pid 812, supervisord:orders) listens on 127.0.0.1:3001, named like the route's \"orders\"", StringComparison.Ordinal));
        Assert.Contains(verdict.Evidence, e => e.Text == "web-1: /etc/nginx/sites-enabled/shop:14: proxy_pass http://127.0.0.1:3000 (location /orders/)");
    }

    [Fact]
    public void Evaluate_ThroughAnUpstreamBlock_FixesTheServerLineOfTheBlock()
    {
        var config = Config(Route("http://billing", "location /", upstream: "billing"));
        config.Upstreams.Add(new UpstreamBlock { Name = "billing", File = "/etc/nginx/conf.d/up.conf", Line = 3, Servers = { new UpstreamServer { Address = "127.0.0.1:8080" } } });
        var web = Host("web-1", T0, config, Named(TcpListener("127.0.0.1", 8081, "gunicorn"), "billing.service"), Named(TcpListener("127.0.0.1", 7000, "node"), "chat.service"));

        var verdict = Rule.Evaluate(SymptomFrom(web, "127.0.0.1:8080"), web);

        Assert.Equal(Cause.PortMismatch, verdict?.Cause);
        Assert.StartsWith("server 127.0.0.1:8081 in upstream billing (/etc/nginx/conf.d/up.conf:3)", verdict!.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_TheOnlyApplicationListener_IsAPortMismatchWithLowerConfidence()
    {
        var web = Host("web-1", T0, Config(Route("http://127.0.0.1:3000", "location /")),
            TcpListener("0.0.0.0", 22, "sshd"), TcpListener("127.0.0.1", 3001, "node"), TcpListener("0.0.0.0", 80, "nginx"));

        var verdict = Rule.Evaluate(SymptomFrom(web, "127.0.0.1:3000"), web);

        Assert.Equal(Cause.PortMismatch, verdict?.Cause);
        Assert.Equal(0.7, verdict!.Confidence);
        Assert.Contains("proxy_pass http://127.0.0.1:3001", verdict.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_TheOnlyListener_WithAnUnknownOwnerOrNoRouteInTheConfig_StaysBackendDown()
    {
        var unknownOwner = TcpListener("0.0.0.0", 2024);
        unknownOwner.Pid = 0;
        unknownOwner.Process = "";
        unknownOwner.Service = "";
        var hidden = Host("web-1", T0, Config(Route("http://127.0.0.1:3000", "location /")), unknownOwner);
        var noRoute = Host("web-1", T0, Config(), TcpListener("127.0.0.1", 3001, "node"));

        Assert.Equal(Cause.BackendDown, Rule.Evaluate(SymptomFrom(hidden, "127.0.0.1:3000"), hidden)?.Cause);
        Assert.Equal(Cause.BackendDown, Rule.Evaluate(SymptomFrom(noRoute, "127.0.0.1:3000"), noRoute)?.Cause);
    }

    [Fact]
    public void Evaluate_AListenerThatAnotherRouteProxiesTo_IsNotTheMissingService()
    {
        var config = Config(Route("http://127.0.0.1:3000", "location /"), Route("http://127.0.0.1:3001", "location /admin/"));
        var web = Host("web-1", T0, config, TcpListener("127.0.0.1", 3001, "node"));

        var verdict = Rule.Evaluate(SymptomFrom(web, "127.0.0.1:3000"), web);

        Assert.Equal(Cause.BackendDown, verdict?.Cause);
        Assert.Equal("app", verdict!.Tier);
    }

    [Fact]
    public void Evaluate_SeveralUnnamedCandidates_OrOnlyDataStores_StayBackendDown()
    {
        var config = Config(Route("http://127.0.0.1:3000", "location /"));
        var several = Host("web-1", T0, config, TcpListener("127.0.0.1", 3001, "node"), TcpListener("127.0.0.1", 4000, "ruby"));
        var stores = Host("web-1", T0, config, TcpListener("127.0.0.1", 6379, "redis-server"), TcpListener("0.0.0.0", 5432, "postgres"));

        Assert.Equal(Cause.BackendDown, Rule.Evaluate(SymptomFrom(several, "127.0.0.1:3000"), several)?.Cause);
        Assert.Equal(Cause.BackendDown, Rule.Evaluate(SymptomFrom(stores, "127.0.0.1:3000"), stores)?.Cause);
    }

    [Fact]
    public void Evaluate_ServiceBoundToAnotherAddressOnly_DoesNotAcceptTheTarget()
    {
        // The route sends to 10.0.0.5:3000; the orders service listens on 127.0.0.1:3001, which 10.0.0.5 cannot reach.
        var web = Host("web-1", T0, Config(Route("http://10.0.0.5:3000", "location /orders/")), Named(TcpListener("127.0.0.1", 3001, "php"), "orders"));
        web = web with { Addresses = new HashSet<IPAddress> { IPAddress.Parse("10.0.0.5") } };

        Assert.Equal(Cause.BackendDown, Rule.Evaluate(SymptomFrom(web, "10.0.0.5:3000"), web)?.Cause);
    }

    [Fact]
    public void Evaluate_TheTargetListensAgainAfterTheError_OpensNothing()
    {
        var web = Host("web-1", T0.AddSeconds(2), Config(Route("http://127.0.0.1:3000", "location /orders/")),
            TcpListener("127.0.0.1", 3000, "php"), Named(TcpListener("127.0.0.1", 3001, "php"), "orders"));

        Assert.Null(Rule.Evaluate(SymptomFrom(web, "127.0.0.1:3000"), web));
    }

    [Fact]
    public void ConfirmRecovery_WhenTheConfigNoLongerSendsThere_OrSomethingListensOnA()
    {
        var target = TargetAddress.Parse("127.0.0.1:3000");
        var stillWrong = Host("web-1", T0, Config(Route("http://127.0.0.1:3000", "location /orders/")), Named(TcpListener("127.0.0.1", 3001, "php"), "orders"));
        var fixedConfig = stillWrong with { ProxyConfig = new Timed<ProxyConfig>(T0.AddSeconds(9), Config(Route("http://127.0.0.1:3001", "location /orders/"))) };
        var listening = Host("web-1", T0, Config(Route("http://127.0.0.1:3000", "location /orders/")), TcpListener("127.0.0.1", 3000, "php"));

        Assert.Null(Rule.ConfirmRecovery(target, stillWrong, T0.AddSeconds(10)));
        Assert.Contains("nginx no longer proxies to 127.0.0.1:3000", Rule.ConfirmRecovery(target, fixedConfig, T0.AddSeconds(10))?.Text, StringComparison.Ordinal);
        Assert.NotNull(Rule.ConfirmRecovery(target, listening, T0.AddSeconds(10)));
    }

    [Fact]
    public void RuleSet_AsksItBeforeBackendDown()
    {
        var web = Host("web-1", T0, null);
        Assert.IsType<PortMismatchRule>(RuleSet.Default.For(SymptomFrom(web, "127.0.0.1:3000")));
    }

    private static Listener Named(Listener listener, string service)
    {
        listener.Service = service;
        return listener;
    }

    private static ProxyRoute Route(string target, string location, string upstream = "", string file = "", uint line = 0)
    {
        var route = new ProxyRoute { Module = "proxy", Target = target, Location = location, Upstream = upstream, File = file, Line = line };
        route.ServerNames.Add("shop.example.com");
        route.Listen.Add("80");
        return route;
    }

    private static ProxyConfig Config(params ProxyRoute[] routes)
    {
        var config = new ProxyConfig();
        config.Routes.AddRange(routes);
        return config;
    }

    private static Symptom SymptomFrom(HostState reporter, string target)
    {
        var e = Refused(1, T0, target);
        return Fleet502.Diagnosis.Symptom.From(reporter, e)!;
    }

    private static HostState Host(string id, DateTimeOffset sampledAt, ProxyConfig? config, params Listener[] listeners)
    {
        var snapshot = new ListenerSnapshot();
        snapshot.Listeners.AddRange(listeners);
        return new HostState(id, id, new HashSet<IPAddress>(), snapshot, sampledAt)
        {
            ProxyConfig = config is null ? null : new Timed<ProxyConfig>(T0, config),
        };
    }
}
