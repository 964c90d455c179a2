using Fleet502.Tests.Collector.Infrastructure;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;

namespace Fleet502.Tests.Collector.Storage;

public sealed class RestartTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Restart_OnTheSameLiteDbFile_KeepsLastSeqAndContinuesTheOpenIncident()
    {
        var database = _dir.File("restart.db");
        string id;
        await using (var first = await TestCollector.StartAsync(database))
        {
            await using var agent = await first.ConnectAsync("web-1");
            await agent.SendAsync(Listeners(1, T0), Refused(2, T0, "127.0.0.1:3000", count: 2));
            id = Assert.Single(await first.IncidentsAsync()).GetProperty("id").GetString()!;
        }

        await using var second = await TestCollector.StartAsync(database);
        await using (var agent = await second.ConnectAsync("web-1"))
        {
            Assert.Equal(2ul, agent.Welcome.LastSeq);
            Assert.Equal(3ul, await agent.SendAsync(Refused(3, T0.AddSeconds(5), "127.0.0.1:3000", count: 4)));
        }

        var incident = Assert.Single(await second.IncidentsAsync());
        Assert.Equal(id, incident.GetProperty("id").GetString());
        Assert.Equal(6, incident.GetProperty("error_count").GetInt64());
        Assert.Equal("open", incident.GetProperty("status").GetString());
        Assert.Equal(0.95, incident.GetProperty("confidence").GetDouble()); // the listener snapshot survived too
    }
}
