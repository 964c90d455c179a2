using Fleet502.Collector.Storage;
using Fleet502.Protos.V1;
using Fleet502.Tests.Collector.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
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

    [Fact]
    public async Task Restart_AfterBatchesWhoseProgressOnlyTheirChunksCarry_WelcomesWithTheNewestSeqAndDropsResentLines()
    {
        var database = _dir.File("progress.db");
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-1); // recent: retention runs at start
        var line = Refused(3, t0.AddSeconds(1), "127.0.0.1:3000");
        line.Source = new SourceRef { Path = "/var/log/nginx/error.log", Device = 2049, Inode = 77, Offset = 8192 };
        await using (var first = await TestCollector.StartAsync(database))
        {
            await using var agent = await first.ConnectAsync("web-1");
            Assert.Equal(1ul, await agent.SendAsync(Heartbeat(1, t0)));
            // Within AgentStore.ProgressEvery of the first: the agent's document is not rewritten for these.
            Assert.Equal(2ul, await agent.SendAsync(Refused(2, t0, "127.0.0.1:3000")));
            Assert.Equal(3ul, await agent.SendAsync(line));
        }

        await using var second = await TestCollector.StartAsync(database);
        await using (var agent = await second.ConnectAsync("web-1"))
        {
            Assert.Equal(3ul, agent.Welcome.LastSeq);
            var again = line.Clone();
            again.Seq = 4; // read again by an agent killed before its checkpoint moved
            Assert.Equal(4ul, await agent.SendAsync(again));
        }

        var events = second.Services.GetRequiredService<EventStore>();
        Assert.Equal([1ul, 2ul, 3ul], events.ForAgent("web-1").Select(e => e.Seq));
        Assert.Equal(2, Assert.Single(await second.IncidentsAsync()).GetProperty("error_count").GetInt64());
        var agents = await second.GetJsonAsync("/api/v1/agents");
        Assert.Equal(4ul, Assert.Single(agents.EnumerateArray()).GetProperty("last_seq").GetUInt64());
    }
}
