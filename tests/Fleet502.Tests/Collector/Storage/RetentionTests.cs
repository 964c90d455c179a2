using Fleet502.Collector.Ingest;
using Fleet502.Collector.Storage;
using Fleet502.Tests.Collector.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;

namespace Fleet502.Tests.Collector.Storage;

public sealed class RetentionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void DeleteOlderThan_RemovesOldEventsButKeepsTheAgentsLastSeq()
    {
        using var database = new CollectorDatabase(Options.Create(new StorageOptions { Path = _dir.File("retention.db") }), NullLogger<CollectorDatabase>.Instance);
        var agents = new AgentStore(database);
        var events = new EventStore(database, agents, new LineIndex(database));
        agents.Register(Hello("web-1"), T0);
        events.Append("web-1", [new CheckedEvent(Heartbeat(1, T0.AddDays(-8)), null), new CheckedEvent(Heartbeat(2, T0.AddDays(-1)), null)], T0);

        Assert.Equal(1, events.DeleteOlderThan(T0.AddDays(-7)));

        Assert.Equal([2ul], events.ForAgent("web-1").Select(e => e.Seq));
        Assert.Equal(2ul, agents.GetLastSeq("web-1"));
        Assert.Equal(2ul, events.Append("web-1", [new CheckedEvent(Heartbeat(1, T0), null)], T0).LastSeq); // still a duplicate
    }

    [Fact]
    public void DeleteOlderThan_ABatchSplitAcrossHours_NeverTakesTheAgentsLastSeqBackAfterARestart()
    {
        var path = _dir.File("split.db");
        using (var database = new CollectorDatabase(Options.Create(new StorageOptions { Path = path }), NullLogger<CollectorDatabase>.Instance))
        {
            var agents = new AgentStore(database);
            var events = new EventStore(database, agents, new LineIndex(database));
            agents.Register(Hello("web-1"), T0);
            events.Append("web-1", [new CheckedEvent(Heartbeat(1, T0), null)], T0);
            // A spooled backlog: seqs 3 and 4 were logged 8 days ago, 2 and 5 now (two chunks, one per hour).
            events.Append("web-1", [
                new CheckedEvent(Heartbeat(2, T0), null), new CheckedEvent(Heartbeat(3, T0.AddDays(-8)), null),
                new CheckedEvent(Heartbeat(4, T0.AddDays(-8)), null), new CheckedEvent(Heartbeat(5, T0), null)], T0);

            Assert.Equal(2, events.DeleteOlderThan(T0.AddDays(-7)));
        }

        using var reopened = new CollectorDatabase(Options.Create(new StorageOptions { Path = path }), NullLogger<CollectorDatabase>.Instance);
        var after = new AgentStore(reopened);
        Assert.Equal(5ul, after.GetLastSeq("web-1"));
        Assert.Equal([1ul, 2ul, 5ul], new EventStore(reopened, after, new LineIndex(reopened)).ForAgent("web-1").Select(e => e.Seq));
    }
}
