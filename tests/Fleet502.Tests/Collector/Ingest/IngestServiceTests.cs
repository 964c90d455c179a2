using Fleet502.Collector.Storage;
using Fleet502.Protos.V1;
using Fleet502.Tests.Collector.Infrastructure;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;

namespace Fleet502.Tests.Collector.Ingest;

/// <summary>The ingest stream over a real h2c gRPC channel to the real collector.</summary>
public sealed class IngestServiceTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private TestCollector _collector = null!;

    public async Task InitializeAsync() => _collector = await TestCollector.StartAsync(_dir.File("ingest.db"));

    public async Task DisposeAsync()
    {
        await _collector.DisposeAsync();
        _dir.Dispose();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-agent-token-at-all")]
    [InlineData(TestCollector.ApiToken)]
    public async Task Connect_WithoutTheAgentToken_IsUnauthenticated(string? token)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => TestAgent.ConnectAsync(_collector.GrpcUri, Hello("web-1"), token));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.DoesNotContain(TestCollector.ApiToken, _collector.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-agent-token-at-all", _collector.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_FirstMessageIsNotHello_IsInvalidArgument()
    {
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(_collector.GrpcUri);
        using var call = new Protos.V1.Ingest.IngestClient(channel).Connect(new Metadata { { "authorization", $"Bearer {TestCollector.AgentToken}" } });
        await call.RequestStream.WriteAsync(new AgentMessage { Batch = new EventBatch() });

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task Hello_ThenBatches_AreWelcomedAndAckedWithTheHighestStoredSeq()
    {
        await using (var agent = await _collector.ConnectAsync("web-1", "192.0.2.5"))
        {
            Assert.Equal(0ul, agent.Welcome.LastSeq);
            Assert.False(string.IsNullOrEmpty(agent.Welcome.CollectorVersion));
            Assert.Equal(2ul, await agent.SendAsync(Heartbeat(1, T0), Heartbeat(2, T0)));
            Assert.Equal(3ul, await agent.SendAsync(Listeners(3, T0, TcpListener("0.0.0.0", 80, "nginx"))));
        }

        await using var again = await _collector.ConnectAsync("web-1", "192.0.2.5");
        Assert.Equal(3ul, again.Welcome.LastSeq);

        var agents = await _collector.GetJsonAsync("/api/v1/agents");
        var web1 = Assert.Single(agents.EnumerateArray());
        Assert.Equal("web-1", web1.GetProperty("id").GetString());
        Assert.Equal(3ul, web1.GetProperty("last_seq").GetUInt64());
        Assert.Equal("192.0.2.5", web1.GetProperty("addresses")[0].GetString());
        Assert.Equal(1, web1.GetProperty("listener_count").GetInt32());
    }

    [Fact]
    public async Task Replay_SameSeqsAfterReconnect_StoresNoDuplicateEventsAndNoDuplicateIncidents()
    {
        Event[] batch =
        [
            Listeners(1, T0),
            Refused(2, T0.AddSeconds(1), "127.0.0.1:3000", count: 4),
            Refused(3, T0.AddSeconds(2), "127.0.0.1:3000", count: 2),
        ];
        await using (var agent = await _collector.ConnectAsync("web-1"))
        {
            Assert.Equal(3ul, await agent.SendAsync(batch));
        }

        var before = Assert.Single(await _collector.IncidentsAsync());
        Assert.Equal(6, before.GetProperty("error_count").GetInt64());

        // The agent restarted without having seen the ack: it resends everything, then goes on.
        await using (var agent = await _collector.ConnectAsync("web-1"))
        {
            Assert.Equal(3ul, agent.Welcome.LastSeq);
            Assert.Equal(3ul, await agent.SendAsync(batch));
            Assert.Equal(3ul, await agent.SendAsync(batch[1], batch[1])); // a seq repeated inside one batch too
        }

        Assert.Equal(3, Events.Count("web-1"));
        var after = Assert.Single(await _collector.IncidentsAsync());
        Assert.Equal(before.GetProperty("id").GetString(), after.GetProperty("id").GetString());
        Assert.Equal(6, after.GetProperty("error_count").GetInt64());
    }

    [Fact]
    public async Task LogLineReadAgainUnderANewSeq_IsStoredOnce()
    {
        var first = Refused(1, T0, "127.0.0.1:3000", count: 2);
        first.Source = new SourceRef { Path = "/var/log/nginx/error.log", Device = 2049, Inode = 131, Offset = 4096 };
        var again = first.Clone();
        again.Seq = 7; // the agent was killed before its checkpoint moved, and read the line again
        var next = Refused(8, T0, "127.0.0.1:3000", count: 1);
        next.Source = new SourceRef { Path = "/var/log/nginx/error.log", Device = 2049, Inode = 131, Offset = 4300 };

        await using var agent = await _collector.ConnectAsync("web-1");
        Assert.Equal(1ul, await agent.SendAsync(first));
        Assert.Equal(8ul, await agent.SendAsync(again, next));

        Assert.Equal([1ul, 8ul], Events.ForAgent("web-1").Select(e => e.Seq));
        Assert.Equal(3, Assert.Single(await _collector.IncidentsAsync()).GetProperty("error_count").GetInt64());
    }

    [Fact]
    public async Task AgentIdsThatShareAPrefix_KeepTheirOwnProgress()
    {
        await using (var nested = await _collector.ConnectAsync("web/2"))
        {
            Assert.Equal(5ul, await nested.SendAsync(Heartbeat(1, T0), Heartbeat(2, T0), Heartbeat(3, T0), Heartbeat(4, T0), Heartbeat(5, T0)));
        }

        await using var web = await _collector.ConnectAsync("web");
        Assert.Equal(0ul, web.Welcome.LastSeq);
        Assert.Equal(1ul, await web.SendAsync(Heartbeat(1, T0)));
        Assert.Equal([1ul], Events.ForAgent("web").Select(e => e.Seq));
        Assert.Equal(5, Events.Count("web/2"));
    }

    [Fact]
    public async Task StateEventsNoRuleReadsYet_AreStoredNotRejected()
    {
        await using var agent = await _collector.ConnectAsync("web-1");

        var ack = await agent.SendAsync(
            new Event { Seq = 1, Time = Timestamp.FromDateTimeOffset(T0), ServiceState = new ServiceState { Name = "app.service", Status = ServiceStatus.Failed } },
            new Event { Seq = 2, Time = Timestamp.FromDateTimeOffset(T0), OomKill = new OomKill { Pid = 812, Process = "node" } });

        Assert.Equal(2ul, ack);
        Assert.Equal(2, Events.ForAgent("web-1").Count);
        Assert.DoesNotContain(_collector.Logs.Entries, e => e.EventId == 203);
    }

    [Fact]
    public async Task Batch_WithMalformedEvents_SkipsThemAndStoresTheRest()
    {
        await using var agent = await _collector.ConnectAsync("web-1");

        var ack = await agent.SendAsync(
            Listeners(1, T0),
            new Event { Seq = 2, Time = Timestamp.FromDateTimeOffset(T0) },                                  // no body
            Refused(3, T0, "127.0.0.1:3000", count: 2),
            new Event { Seq = 0, Time = Timestamp.FromDateTimeOffset(T0), Heartbeat = new Heartbeat() },       // no seq
            new Event { Seq = 4, Time = Timestamp.FromDateTimeOffset(T0), UpstreamError = new UpstreamError { Cause = Cause.BackendDown } }, // no target
            new Event { Seq = 5, Time = new Timestamp { Seconds = -5 }, Heartbeat = new Heartbeat() },          // time before 2000
            Listeners(6, T0, new Listener { Transport = Transport.Tcp4, Address = "0.0.0.0", Port = 70000 }),  // port out of range
            new Event { Seq = 7, Time = Timestamp.FromDateTimeOffset(T0), AccessWindow = new AccessWindow { Upstream = "127.0.0.1:3000", Requests = 9 } }, // no start
            Refused(8, T0.AddSeconds(1), "127.0.0.1:3000", count: 3));

        Assert.Equal(8ul, ack); // rejected events are handled too: the agent must not resend them forever
        var stored = Events.ForAgent("web-1");
        Assert.Equal([1ul, 2ul, 3ul, 4ul, 5ul, 6ul, 7ul, 8ul], stored.Select(e => e.Seq));
        var incident = Assert.Single(await _collector.IncidentsAsync());
        Assert.Equal(5, incident.GetProperty("error_count").GetInt64()); // the errors after the bad window count too
        Assert.Equal(6, _collector.Logs.Entries.Count(e => e.EventId == 203)); // seq 2, 0, 4, 5, 6, 7
        Assert.Equal(9ul, await agent.SendAsync(Heartbeat(9, T0))); // the stream goes on
    }

    [Fact]
    public async Task Stream_MessageThatIsNotABatch_IsSkippedAndTheStreamGoesOn()
    {
        await using var agent = await _collector.ConnectAsync("web-1");

        await agent.SendRawAsync(new AgentMessage { Hello = Hello("web-1") });
        await agent.SendRawAsync(new AgentMessage());

        Assert.Equal(1ul, await agent.SendAsync(Heartbeat(1, T0)));
        Assert.Equal(2, _collector.Logs.Entries.Count(e => e.EventId == 204));
    }

    private EventStore Events => _collector.Services.GetRequiredService<EventStore>();
}
