using Fleet502.Diagnosis;
using Fleet502.Collector.Correlation;
using Fleet502.Diagnosis.Rules;
using Fleet502.Collector.Incidents;
using Fleet502.Collector.Notifiers;
using Fleet502.Collector.Storage;
using Fleet502.Protos.V1;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Fleet502.Tests.Collector.Infrastructure;

/// <summary>
/// The correlator with real stores on a temp LiteDB file and a fake clock, without a server:
/// for the time-dependent rules (quiet period, re-open window).
/// </summary>
internal sealed class CorrelatorHarness : IDisposable
{
    private readonly TempDirectory _dir;
    private readonly bool _ownsDirectory;
    private readonly RuleSet _rules;
    private CollectorDatabase _database;

    public CorrelatorHarness(TempDirectory? dir = null, FakeTimeProvider? time = null, RuleSet? rules = null)
    {
        _ownsDirectory = dir is null;
        _dir = dir ?? new TempDirectory();
        _rules = rules ?? RuleSet.Default;
        Time = time ?? new FakeTimeProvider(TestEvents.T0);
        (_database, Correlator) = Open();
    }

    public static readonly CorrelationOptions Options = new()
    {
        QuietPeriod = TimeSpan.FromMinutes(2),
        CheckInterval = TimeSpan.FromSeconds(5),
        ReopenWindow = TimeSpan.FromMinutes(10),
    };

    public FakeTimeProvider Time { get; }

    public Correlator Correlator { get; private set; }

    /// <summary>The stored incidents, with the correlator's unsaved counts saved first (as the API does).</summary>
    public IncidentStore Incidents
    {
        get
        {
            Correlator.Flush();
            return new(_database);
        }
    }

    public IReadOnlyList<Incident> AllIncidents => Incidents.List(null, null, 1000);

    public void Hello(string agentId, params string[] addresses)
    {
        var record = new AgentStore(_database).Register(TestEvents.Hello(agentId, addresses), Time.GetUtcNow());
        Correlator.UpdateAgent(record);
    }

    public void Observe(string agentId, params Event[] events) => Correlator.Observe(agentId, events);

    /// <summary>Advances the fake clock and runs one resolution sweep.</summary>
    public int SweepAfter(TimeSpan elapsed)
    {
        Time.Advance(elapsed);
        return Correlator.ResolveQuietIncidents();
    }

    /// <summary>A new correlator on the same file, as after a collector restart.</summary>
    public void Restart()
    {
        _database.Dispose();
        (_database, Correlator) = Open();
    }

    public void Dispose()
    {
        _database.Dispose();
        if (_ownsDirectory)
        {
            _dir.Dispose();
        }
    }

    private (CollectorDatabase, Correlator) Open()
    {
        var database = new CollectorDatabase(
            Microsoft.Extensions.Options.Options.Create(new StorageOptions { Path = _dir.File("correlator.db") }),
            NullLogger<CollectorDatabase>.Instance);
        var outbox = new NotificationOutbox(database, new OutboxStore(database), Microsoft.Extensions.Options.Options.Create(new WebhooksOptions()), Time);
        var correlator = new Correlator(
            database,
            _rules,
            new IncidentStore(database),
            new AgentStore(database),
            outbox,
            new EventStore(database, new AgentStore(database), new LineIndex(database)),
            Microsoft.Extensions.Options.Options.Create(Options),
            Time,
            NullLogger<Correlator>.Instance);
        return (database, correlator);
    }
}
