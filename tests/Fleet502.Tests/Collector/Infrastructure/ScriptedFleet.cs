using System.Text.Json;
using Fleet502.Protos.V1;
using Microsoft.Extensions.Time.Testing;

namespace Fleet502.Tests.Collector.Infrastructure;

/// <summary>
/// Several scripted agents (load balancers and app hosts) talking to the real collector over real
/// gRPC on loopback, with one fake clock for the collector and the events: a fleet in a test.
/// </summary>
internal sealed class ScriptedFleet : IAsyncDisposable
{
    private readonly TempDirectory _dir;
    private readonly Dictionary<string, ScriptedAgent> _agents = new(StringComparer.Ordinal);

    private ScriptedFleet(TestCollector collector, FakeTimeProvider time, TempDirectory dir)
    {
        _dir = dir;
        Collector = collector;
        Time = time;
    }

    public TestCollector Collector { get; private set; }

    public FakeTimeProvider Time { get; }

    public DateTimeOffset Now => Time.GetUtcNow();

    public static async Task<ScriptedFleet> StartAsync()
    {
        var time = new FakeTimeProvider(TestEvents.T0);
        var dir = new TempDirectory();
        var collector = await StartCollectorAsync(dir, time);
        return new ScriptedFleet(collector, time, dir);
    }

    /// <summary>Connects an agent (Hello with its addresses and roles); its events get seqs in order.</summary>
    public async Task<ScriptedAgent> ConnectAsync(string id, string role, params string[] addresses)
    {
        var hello = TestEvents.Hello(id, addresses);
        hello.Roles.Add(role);
        var agent = new ScriptedAgent(this, hello, await Collector.ConnectAsync(hello));
        _agents[id] = agent;
        return agent;
    }

    /// <summary>Stops the collector and starts a new one on the same file; the agents reconnect.</summary>
    public async Task RestartCollectorAsync()
    {
        foreach (var agent in _agents.Values)
        {
            await agent.DisconnectAsync();
        }

        await Collector.DisposeAsync();
        Collector = await StartCollectorAsync(_dir, Time);
        foreach (var agent in _agents.Values)
        {
            await agent.ReconnectAsync(Collector);
        }
    }

    public Task<JsonElement[]> IncidentsAsync(string query = "") => Collector.IncidentsAsync(query);

    /// <summary>Advances the clock and waits until the resolution sweep has seen the incident resolved.</summary>
    public async Task<JsonElement> AdvanceUntilResolvedAsync(string id, TimeSpan by)
    {
        Time.Advance(by);
        JsonElement incident = default;
        await Eventually.TrueAsync(async () =>
        {
            incident = await Collector.GetJsonAsync($"/api/v1/incidents/{id}");
            return incident.GetProperty("status").GetString() == "resolved";
        }, $"incident {id} resolved");
        return incident;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents.Values)
        {
            await agent.DisconnectAsync();
        }

        await Collector.DisposeAsync();
        _dir.Dispose();
    }

    private static Task<TestCollector> StartCollectorAsync(TempDirectory dir, FakeTimeProvider time) =>
        TestCollector.StartAsync(dir.File("fleet.db"), time, "--Correlation:QuietPeriod=00:02:00", "--Correlation:CheckInterval=00:00:05");
}

/// <summary>One agent of a <see cref="ScriptedFleet"/>: numbers its events and stamps them with the fleet's clock.</summary>
internal sealed class ScriptedAgent(ScriptedFleet fleet, Hello hello, TestAgent stream)
{
    private TestAgent? _stream = stream;
    private ulong _seq;

    public string Id => hello.AgentId;

    /// <summary>Sends the events as one batch; events without a time get the fleet's now.</summary>
    public async Task SendAsync(params Event[] events)
    {
        foreach (var e in events)
        {
            e.Seq = ++_seq;
            e.Time ??= Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(fleet.Now);
        }

        var acked = await (_stream ?? throw new InvalidOperationException($"{Id} is disconnected")).SendAsync(events);
        Assert.Equal(_seq, acked);
    }

    /// <summary>Closes the stream, as an agent (or its host) that goes away.</summary>
    public async Task DisconnectAsync()
    {
        if (_stream is { } s)
        {
            _stream = null;
            await s.DisposeAsync();
        }
    }

    public async Task ReconnectAsync(TestCollector collector)
    {
        _stream = await collector.ConnectAsync(hello);
        _seq = _stream.Welcome.LastSeq;
    }
}
