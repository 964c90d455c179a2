using Fleet502.Agent.Configuration;
using Fleet502.Agent.Shipping;
using Fleet502.Agent.Sources.Heartbeat;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Fleet502.Tests.Agent.Sources.Heartbeat;

public sealed class HeartbeatSourceTests
{
    [Fact]
    public async Task SendsOneHeartbeatAtStart_ThenOnePerInterval_StampedWithTheClock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var queue = new EventQueue();
        var options = Options.Create(new AgentOptions { Heartbeat = new HeartbeatOptions { Interval = TimeSpan.FromSeconds(10) } });
        using var source = new HeartbeatSource(queue, options, time);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        await source.StartAsync(cts.Token);
        var first = (await queue.Reader.ReadAsync(cts.Token)).ToEvent();
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(queue.Reader.TryRead(out _)); // not before the interval
        time.Advance(TimeSpan.FromSeconds(1));
        var second = (await queue.Reader.ReadAsync(cts.Token)).ToEvent();
        await source.StopAsync(cts.Token);

        Assert.NotNull(first.Heartbeat);
        Assert.NotNull(second.Heartbeat);
        Assert.Equal(TimeSpan.FromSeconds(10), second.Time.ToDateTimeOffset() - first.Time.ToDateTimeOffset());
    }
}
