using Fleet502.Diagnosis.Rules;
using Fleet502.Protos.V1;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;
using static Fleet502.Tests.Diagnosis.Rules.HostBuilder;

namespace Fleet502.Tests.Diagnosis.Rules;

public sealed class FpmPoolExhaustedRuleTests
{
    private static readonly FpmPoolExhaustedRule Rule = new();
    private const string Socket = "unix:/run/php/php8.2-fpm.sock";

    [Fact]
    public void SaturatedPool_GivesItsChildrenAndTheValueToSet()
    {
        var web = Host("web-1", T0, []).WithPool(T0, new FpmPool
        {
            Endpoint = Socket, Pool = "www", ProcessManager = "dynamic", ActiveProcesses = 5, TotalProcesses = 5, MaxActiveProcesses = 5,
            ListenQueue = 12, MaxChildrenReached = 3, Saturated = true, Reachable = true,
        });

        var verdict = Rule.Evaluate(SymptomOf(web, Failure(Cause.BacklogFull, Socket)), web)!;

        Assert.Equal(Cause.FpmPoolExhausted, verdict.Cause);
        Assert.Equal(0.95, verdict.Confidence);
        Assert.Equal("PHP-FPM pool exhausted: pool [www] on web-1 has all 5 children busy (pm.max_children reached)", verdict.Headline);
        Assert.Contains(verdict.Evidence, e => e.Text.Contains("5 active of 5 children, 0 idle, listen queue 12", StringComparison.Ordinal));
        Assert.Contains(verdict.Evidence, e => e.Text.Contains("pm.max_children of the pool is unknown", StringComparison.Ordinal));
        Assert.Contains("pm.max_children = 10", verdict.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void PoolWithItsConfiguredLimit_NamesThatLimit()
    {
        var web = Host("web-1", T0, []).WithPool(T0, new FpmPool
        {
            Endpoint = Socket, Pool = "www", ProcessManager = "static", ActiveProcesses = 2, TotalProcesses = 2, MaxActiveProcesses = 2,
            ListenQueue = 4, Saturated = true, Reachable = true, MaxChildren = 2,
        });

        var verdict = Rule.Evaluate(SymptomOf(web, Failure(Cause.FpmPoolExhausted, Socket)), web)!;

        Assert.Equal("PHP-FPM pool exhausted: pool [www] on web-1 has all 2 children busy (pm.max_children reached)", verdict.Headline);
        Assert.Contains(verdict.Evidence, e => e.Text == "web-1: pool [www] is configured with pm.max_children = 2");
        Assert.Contains("pm.max_children = 6", verdict.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Recovery_OfAOneChildPool_CountsTheStatusRequestItself()
    {
        var target = Fleet502.Diagnosis.TargetAddress.Parse(Socket);
        var quiet = Host("web-1", T0, []).WithPool(T0, new FpmPool { Endpoint = Socket, Pool = "app", ActiveProcesses = 1, TotalProcesses = 1, MaxChildren = 1 });
        var queued = Host("web-1", T0, []).WithPool(T0, new FpmPool { Endpoint = Socket, Pool = "app", ActiveProcesses = 1, TotalProcesses = 1, ListenQueue = 2 });

        Assert.NotNull(Rule.ConfirmRecovery(target, quiet, T0));
        Assert.Null(Rule.ConfirmRecovery(target, queued, T0));
    }

    [Fact]
    public void NoPoolSampled_BacklogFullStaysBacklogFull()
    {
        var web = Host("web-1", T0, []);

        Assert.Equal(Cause.BacklogFull, Rule.Evaluate(SymptomOf(web, Failure(Cause.BacklogFull, Socket)), web)?.Cause);
        Assert.Equal(0.7, Rule.Evaluate(SymptomOf(web, Failure(Cause.FpmPoolExhausted, Socket)), web)?.Confidence);
    }

    [Fact]
    public void Recovery_WaitsForIdleChildren()
    {
        var target = Fleet502.Diagnosis.TargetAddress.Parse(Socket);
        var busy = Host("web-1", T0, []).WithPool(T0, new FpmPool { Endpoint = Socket, Pool = "www", ListenQueue = 3 });
        var idle = Host("web-1", T0, []).WithPool(T0, new FpmPool { Endpoint = Socket, Pool = "www", IdleProcesses = 2 });

        Assert.Null(Rule.ConfirmRecovery(target, busy, T0));
        Assert.NotNull(Rule.ConfirmRecovery(target, idle, T0));
    }
}
