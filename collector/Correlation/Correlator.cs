using Fleet502.Collector.Incidents;
using Fleet502.Diagnosis.Rules;
using Fleet502.Collector.Notifiers;
using Fleet502.Collector.Storage;
using Fleet502.Protos.V1;
using Microsoft.Extensions.Options;

namespace Fleet502.Collector.Correlation;

/// <summary>
/// The collector's heart: keeps each host's newest listeners, explains every UpstreamError with the
/// first rule that applies, folds verdicts into one incident per (cause, target), and resolves
/// incidents once they are quiet and their target is healthy. Its state changes only inside the
/// database's single write transaction (<see cref="CollectorDatabase.Write{T}"/>), which is also
/// its lock: one writer, one lock order, and a batch's events and incidents commit together.
/// </summary>
internal sealed class Correlator
{
    private readonly CollectorDatabase _database;
    private readonly Topology _topology = new();
    private readonly Dictionary<IncidentKey, Incident> _active = [];

    // The newest symptom of each active incident, so state that arrives after it can be re-read
    // against it (a restart seen after the crash's 502). In memory only: after a restart the next
    // symptom brings it back.
    private readonly Dictionary<string, Symptom> _lastSymptom = new(StringComparer.Ordinal);

    // How each (reporter, cause, target, server) was last explained: a repeat of it, while the hosts the
    // verdict rests on are unchanged, joins that incident without asking the rules again.
    private readonly Dictionary<(string Reporter, Cause Cause, string Target, string Server), Explained> _explained = [];

    // Incidents whose counts changed but are not yet saved: saved at most every UnsavedFor (and
    // before every API read), because a storm changes the same incidents in every commit.
    private readonly Dictionary<string, Incident> _unsaved = new(StringComparer.Ordinal);
    private long _lastFlush;

    // Each reporter's access windows by target, for the incidents' impact (see WindowsOf).
    private readonly Dictionary<string, WindowIndex> _windows = new(StringComparer.Ordinal);

    // Targets parsed once: a storm names the same few thousand targets in every batch.
    private readonly Dictionary<(bool Group, string Unix, string Address, string Host, uint Port), TargetAddress?> _targets = [];
    private readonly Func<UpstreamTarget?, TargetAddress?> _parseTarget;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, AgentLiveness> _liveness = new(StringComparer.Ordinal); // open, or resolved recently enough to re-open
    private readonly RuleSet _rules;
    private readonly IncidentStore _incidents;
    private readonly AgentStore _agents;
    private readonly NotificationOutbox _outbox;
    private readonly EventStore _events;
    private readonly CorrelationOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<Correlator> _logger;

    public Correlator(
        CollectorDatabase database,
        RuleSet rules,
        IncidentStore incidents,
        AgentStore agents,
        NotificationOutbox outbox,
        EventStore events,
        IOptions<CorrelationOptions> options,
        TimeProvider time,
        ILogger<Correlator> logger)
    {
        _database = database;
        _options = options.Value;
        // The offline threshold is the collector's setting; the rule itself is shared with the doctor.
        _rules = rules.With(new HostDownRule(_options.AgentOfflineAfter));
        _incidents = incidents;
        _agents = agents;
        _outbox = outbox;
        _events = events;
        _time = time;
        _logger = logger;
        _parseTarget = ParseTarget;
        Restore();
    }

    /// <summary>Records who an agent is (from Hello), so targets resolve to it.</summary>
    public void UpdateAgent(AgentRecord agent) =>
        _database.Write(_ => _topology.Upsert(agent.Id, agent.Hostname, agent.Addresses, agent.Roles));

    /// <summary>Records that an agent's stream opened or closed: a closed agent can go offline.</summary>
    public void SetConnected(string agentId, bool connected) => _database.Write(_ =>
    {
        _topology.SetConnected(agentId, connected, _time.GetUtcNow());
        PublishLiveness(agentId);
    });

    /// <summary>Liveness of an agent for the API; readable without the write lock.</summary>
    public AgentLiveness Liveness(string agentId) => _liveness.GetValueOrDefault(agentId);

    /// <summary>The offline threshold (Correlation:AgentOfflineAfter).</summary>
    public TimeSpan OfflineAfter => _options.AgentOfflineAfter;

    /// <summary>
    /// Takes newly stored events of one agent. Its listener snapshots are applied first, so an error
    /// followed in the same batch by a snapshot showing the backend back does not open an incident.
    /// </summary>
    public void Observe(string agentId, IReadOnlyList<Event> events) => ObserveAll([(agentId, events)]);

    /// <summary>
    /// Takes the stored batches of one group commit (many agents, one transaction): each is folded
    /// as <see cref="Observe"/> does, and every incident they changed is saved once.
    /// </summary>
    public void ObserveAll(IReadOnlyList<(string AgentId, IReadOnlyList<Event> Events)> batches) => _database.Write(_ =>
    {
        var changed = new Dictionary<string, Change>(StringComparer.Ordinal);
        foreach (var (agentId, events) in batches)
        {
            ObserveOne(agentId, events, changed);
        }

        // New and re-opened incidents are saved in this commit, then told. Counts of known ones too,
        // unless a storm changes many incidents in every commit: then at most every UnsavedFor, and a
        // kill -9 loses up to that much of the counts (never events: those are in this commit).
        foreach (var change in changed.Values)
        {
            if (change.Kind == ChangeKind.Updated)
            {
                _unsaved[change.Incident.Id] = change.Incident;
                continue;
            }

            _incidents.Save(change.Incident);
            _unsaved.Remove(change.Incident.Id);
            Announce(change);
        }

        if (_unsaved.Count <= SavedEveryCommit || System.Diagnostics.Stopwatch.GetElapsedTime(_lastFlush) >= UnsavedFor)
        {
            SaveUnsaved();
        }
    });

    /// <summary>Up to this many changed incidents are saved in every commit.</summary>
    public const int SavedEveryCommit = 64;

    /// <summary>How long changed counts may wait in memory before they are saved.</summary>
    public static readonly TimeSpan UnsavedFor = TimeSpan.FromSeconds(5);

    /// <summary>How long a verdict serves repeats of its symptom before the rules are asked again.</summary>
    /// <remarks>
    /// Everything a verdict reads about its hosts moves their state version, except time itself: the
    /// owner's agent falling silent is checked on every repeat; the rest (the reporter's newest
    /// latencies, other hosts of an upstream group) may be this old in the evidence.
    /// </remarks>
    public static readonly TimeSpan ReexplainAfter = TimeSpan.FromSeconds(30);

    /// <summary>Saves every changed incident now: before the API reads them, and at shutdown.</summary>
    public void Flush() => _database.Write(_ => SaveUnsaved());

    private void SaveUnsaved()
    {
        var saved = _unsaved.Values.ToList();
        foreach (var incident in saved)
        {
            _incidents.Save(incident);
        }

        // Forgotten only once durable: a rolled-back commit leaves them to the next save.
        _database.AfterCommit(() =>
        {
            foreach (var incident in saved)
            {
                _unsaved.Remove(incident.Id);
            }
        });
        _lastFlush = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    private void ObserveOne(string agentId, IReadOnlyList<Event> events, Dictionary<string, Change> changed)
    {
        var newest = events.Where(e => e.ListenerSnapshot is not null).MaxBy(e => e.Time.ToDateTimeOffset());
        if (newest is not null && _topology.SetListeners(agentId, newest.ListenerSnapshot, newest.Time.ToDateTimeOffset()))
        {
            _agents.SaveListeners(agentId, newest.ListenerSnapshot, newest.Time.ToDateTimeOffset());
        }

        foreach (var e in events)
        {
            _topology.Apply(agentId, e);
            if (e.ProxyConfig is not null && ReferenceEquals(_topology.Get(agentId)?.ProxyConfig?.Value, e.ProxyConfig))
            {
                _agents.SaveProxyConfig(agentId, e.ProxyConfig, e.Time.ToDateTimeOffset());
            }
        }

        _topology.Heard(agentId, _time.GetUtcNow());
        PublishLiveness(agentId);
        var reporter = _topology.Get(agentId) ?? _topology.Upsert(agentId, agentId, []);
        foreach (var e in events)
        {
            // Unspecified: the line blames nothing; it is stored, not an incident.
            if (Symptom.From(reporter, e, _parseTarget) is { } symptom && symptom.Cause != Cause.Unspecified
                && (Repeat(symptom) ?? Explain(symptom with { Fleet = _topology.Hosts })) is { } change)
            {
                changed[change.Incident.Id] = changed.TryGetValue(change.Incident.Id, out var earlier) && earlier.Kind != ChangeKind.Updated
                    ? earlier
                    : change;
            }
        }

        if (events.Any(e => e.BodyCase is Event.BodyOneofCase.ServiceState or Event.BodyOneofCase.OomKill
            or Event.BodyOneofCase.FpmPool or Event.BodyOneofCase.ListenerSnapshot))
        {
            Reconsider(agentId, changed);
        }
    }

    /// <summary>
    /// New state of a host re-reads the open incidents it owns against their newest symptom, so
    /// evidence that arrives after the errors (supervisord's restart, an OOM kill, the pool's status)
    /// joins the incident without waiting for another failure. The cause never changes here: a
    /// different verdict would be a different incident, and only a new symptom may open that.
    /// </summary>
    private void Reconsider(string agentId, Dictionary<string, Change> changed)
    {
        foreach (var incident in _active.Values)
        {
            if (incident.Status != IncidentStatus.Open || changed.ContainsKey(incident.Id)
                || (incident.OwnerAgentId != agentId && incident.Key.LocalTo != agentId)
                || !_lastSymptom.TryGetValue(incident.Id, out var last))
            {
                continue;
            }

            var symptom = last with { Reporter = _topology.Get(last.Reporter.AgentId) ?? last.Reporter, Fleet = _topology.Hosts };
            var owner = _topology.ResolveOwner(symptom.Target, symptom.Reporter);
            var rule = _rules.Named(incident.Rule);
            if (rule.Evaluate(symptom, owner) is not { } verdict || verdict.Cause != incident.Cause
                || (verdict.Headline == incident.Headline && verdict.Evidence.SequenceEqual(incident.StateEvidence)))
            {
                continue;
            }

            incident.Confidence = verdict.Confidence;
            incident.Headline = verdict.Headline;
            incident.Fix = verdict.Fix;
            incident.StateEvidence.Clear();
            incident.StateEvidence.AddRange(verdict.Evidence);
            changed[incident.Id] = new Change(incident, ChangeKind.Updated);
        }
    }

    /// <summary>Resolves open incidents that were quiet for the quiet period and whose target is healthy.</summary>
    /// <returns>How many were resolved.</returns>
    public int ResolveQuietIncidents() => _database.Write(_ =>
    {
        SaveUnsaved();
        var now = _time.GetUtcNow();
        var resolved = 0;
        foreach (var incident in _active.Values.Where(i => i.Status == IncidentStatus.Open).ToList())
        {
            if (now - incident.LastSymptomAt < _options.QuietPeriod)
            {
                continue;
            }

            var target = TargetAddress.Parse(incident.Target);
            var owner = _topology.ResolveOwner(target, _topology.Get(incident.Key.LocalTo)) ?? _topology.Get(incident.OwnerAgentId);
            if (_rules.Named(incident.Rule).ConfirmRecovery(target, owner, now) is not { } proof)
            {
                continue;
            }

            incident.Status = IncidentStatus.Resolved;
            incident.ResolvedAt = now;
            incident.StateEvidence.Add(proof);
            _incidents.Save(incident);
            Log.IncidentResolved(_logger, incident.Id, incident.Summary);
            _outbox.Enqueue(IncidentEvents.Resolved, incident);
            resolved++;
        }

        foreach (var stale in _active.Where(p => p.Value.ResolvedAt is { } at && now - at > _options.ReopenWindow).ToList())
        {
            _active.Remove(stale.Key);
            _lastSymptom.Remove(stale.Value.Id);
        }

        foreach (var gone in _explained.Where(p => p.Value.Incident.Status != IncidentStatus.Open).Select(p => p.Key).ToList())
        {
            _explained.Remove(gone);
        }

        return resolved;
    });

    private Change? Explain(Symptom symptom)
    {
        var owner = _topology.ResolveOwner(symptom.Target, symptom.Reporter);
        var rule = _rules.For(symptom);
        if (rule.Evaluate(symptom, owner) is not { } verdict)
        {
            return null; // the state shows the target is fine again
        }

        var now = _time.GetUtcNow();
        var key = new IncidentKey(verdict.Cause, symptom.Target.Text, symptom.Target.IsHostLocal ? (owner ?? symptom.Reporter).AgentId : null);
        var kind = ChangeKind.Updated;
        if (!_active.TryGetValue(key, out var incident) || (incident.ResolvedAt is { } at && now - at > _options.ReopenWindow))
        {
            incident = new Incident { Id = Guid.CreateVersion7(now).ToString("N"), Key = key, FirstSeen = symptom.Time, LastSeen = symptom.Time };
            _active[key] = incident;
            kind = ChangeKind.Opened;
        }
        else if (incident.Status == IncidentStatus.Resolved)
        {
            incident.Status = IncidentStatus.Open;
            incident.ResolvedAt = null;
            incident.FlapCount++;
            kind = ChangeKind.Reopened;
        }

        Record(incident, symptom, rule, verdict, owner, now);
        _lastSymptom[incident.Id] = symptom;
        var reporterId = symptom.Reporter.AgentId;
        _explained[(reporterId, symptom.Cause, symptom.Target.Text, symptom.Error.Server)] = new Explained(
            incident, owner?.AgentId, _topology.StateVersion(reporterId), owner is null ? 0 : _topology.StateVersion(owner.AgentId),
            _topology.AddressVersion, now, symptom.Time, Silent(owner, symptom.Time)) { ImpactAt = now };
        return new Change(incident, kind);
    }

    private TargetAddress? ParseTarget(UpstreamTarget? target)
    {
        if (target is null)
        {
            return null;
        }

        var key = (target.IsGroup, target.UnixPath, target.Address, target.Host, target.Port);
        if (!_targets.TryGetValue(key, out var parsed))
        {
            if (_targets.Count >= 65_536)
            {
                _targets.Clear();
            }

            parsed = TargetAddress.FromProto(target);
            _targets[key] = parsed;
        }

        return parsed;
    }

    /// <summary>Whether the owner's agent was silent at the symptom's time, as the host-down rule judges it.</summary>
    private bool Silent(HostState? owner, DateTimeOffset at) =>
        owner is not null && (owner.LastHeard is not { } heard || at - heard > _options.AgentOfflineAfter);

    /// <summary>
    /// A symptom already explained for an open incident, with nothing changed since on the hosts
    /// the verdict rests on (nor in who owns which address), within <see cref="ReexplainAfter"/>:
    /// the same rule would give the same verdict, so only the counts and samples move. Null when
    /// the rules must be asked (first time, state changed, verdict old, or an older symptom).
    /// </summary>
    private Change? Repeat(Symptom symptom)
    {
        var reporterId = symptom.Reporter.AgentId;
        var now = _time.GetUtcNow();
        if (!_explained.TryGetValue((reporterId, symptom.Cause, symptom.Target.Text, symptom.Error.Server), out var known)
            || known.Incident.Status != IncidentStatus.Open
            || !_active.TryGetValue(known.Incident.Key, out var current) || !ReferenceEquals(current, known.Incident))
        {
            return null;
        }

        if (now - known.ExplainedAt >= ReexplainAfter || symptom.Time - known.SymptomTime >= ReexplainAfter)
        {
            Renew(known, symptom);
        }

        if (symptom.Time < known.SymptomTime || now - known.ExplainedAt >= ReexplainAfter
            || symptom.Time - known.SymptomTime >= ReexplainAfter // a replayed backlog spans more than the collector's clock
            || _topology.AddressVersion != known.AddressVersion
            || _topology.StateVersion(reporterId) != known.ReporterVersion
            || (known.OwnerId is { } ownerId && (_topology.StateVersion(ownerId) != known.OwnerVersion
                || Silent(_topology.Get(ownerId), symptom.Time) != known.OwnerSilent)))
        {
            return null;
        }

        var incident = known.Incident;
        Tally(incident, symptom, now);
        // The reporter's access windows are read at most once a second per (reporter, target).
        var windows = now - known.ImpactAt >= TimeSpan.FromSeconds(1);
        UpdateImpact(incident, windows ? symptom : null);
        known.ImpactAt = windows ? now : known.ImpactAt;

        _lastSymptom[incident.Id] = symptom;
        return new Change(incident, ChangeKind.Updated);
    }

    /// <summary>
    /// An old verdict of one reporter takes the time of the incident's newest explanation when
    /// another reporter's symptom had the rules explain it since, at or before this symptom: the
    /// state versions checked next still prove this reporter's and the owner's state unchanged, so
    /// the rules would say the same. A storm from 1,000 load balancers toward 600 targets then asks
    /// the rules about once per incident every <see cref="ReexplainAfter"/>, not 600,000 times.
    /// Not for upstream timeouts: their verdict quotes this reporter's own latencies.
    /// </summary>
    private static void Renew(Explained known, Symptom symptom)
    {
        var (at, symptomTime) = known.Incident.LastExplained;
        if (known.Incident.Cause != Cause.UpstreamTimeout && at > known.ExplainedAt
            && symptom.Time >= symptomTime && symptomTime >= known.SymptomTime)
        {
            known.ExplainedAt = at;
            known.SymptomTime = symptomTime;
        }
    }

    private void Announce(Change change)
    {
        var incident = change.Incident;
        switch (change.Kind)
        {
            case ChangeKind.Opened:
                Log.IncidentOpened(_logger, incident.Id, incident.Summary);
                _outbox.Enqueue(IncidentEvents.Opened, incident);
                break;
            case ChangeKind.Reopened:
                Log.IncidentReopened(_logger, incident.Id, incident.FlapCount, incident.Summary);
                _outbox.Enqueue(IncidentEvents.Opened, incident);
                break;
            case ChangeKind.Updated:
                break;
        }
    }

    private void Record(Incident incident, Symptom symptom, IDiagnosisRule rule, Verdict verdict, HostState? owner, DateTimeOffset now)
    {
        incident.Rule = rule.Name;
        incident.LastExplained = (now, symptom.Time);
        incident.OwnerAgentId = owner?.AgentId;
        incident.OwnerHost = owner?.Hostname;
        incident.Tier = verdict.Tier;
        if (!incident.Hosts.Contains(symptom.Reporter.Hostname))
        {
            incident.Hosts.Add(symptom.Reporter.Hostname); // Contains only reads; Add splits nodes on its way down even when the host is there
        }
        UpdateTierChain(incident, Tiers.OfReporter(symptom.Reporter.Roles), verdict.Tier);
        Tally(incident, symptom, now);
        UpdateImpact(incident, symptom);
        incident.Confidence = verdict.Confidence;
        incident.Headline = verdict.Headline;
        incident.Fix = verdict.Fix;
        incident.StateEvidence.Clear();
        incident.StateEvidence.AddRange(verdict.Evidence);
    }

    /// <summary>What every symptom adds, explained anew or a repeat: servers, times, counts, a sample.</summary>
    private static void Tally(Incident incident, Symptom symptom, DateTimeOffset now)
    {
        if (!string.IsNullOrWhiteSpace(symptom.Error.Server) && !incident.Servers.Contains(symptom.Error.Server))
        {
            incident.Servers.Add(symptom.Error.Server);
        }

        incident.FirstSeen = symptom.Time < incident.FirstSeen ? symptom.Time : incident.FirstSeen;
        incident.LastSeen = symptom.Time > incident.LastSeen ? symptom.Time : incident.LastSeen;
        incident.LastSymptomAt = now;
        incident.ErrorCount += symptom.Count;
        incident.LastStatus = symptom.Error.Status > 0 ? symptom.Error.Status : incident.LastStatus;
        if (!string.IsNullOrWhiteSpace(symptom.Error.Raw))
        {
            incident.AddSample(new EvidenceItem(symptom.Time, symptom.Reporter.Hostname, symptom.Source, symptom.Error.Raw.TrimEnd()));
        }
    }

    /// <summary>
    /// The chain of tiers that saw the failure, in request order: the reporters' tiers (a CDN probe,
    /// the load balancers) and the tier at fault. A load-balancer cause keeps the app out of it.
    /// </summary>
    private static void UpdateTierChain(Incident incident, string reporterTier, string faultTier)
    {
        if (incident.TierChain.Contains(reporterTier) && (faultTier == Tiers.Unknown || incident.TierChain.Contains(faultTier)))
        {
            return; // nearly always: another load balancer of the same incident
        }

        var tiers = incident.TierChain.Append(reporterTier);
        if (faultTier != Tiers.Unknown)
        {
            tiers = tiers.Append(faultTier);
        }

        var ordered = tiers.Distinct().OrderBy(t => Order(t)).ToList();
        incident.TierChain.Clear();
        incident.TierChain.AddRange(ordered);
    }

    private static int Order(string tier)
    {
        for (var i = 0; i < Tiers.RequestOrder.Count; i++)
        {
            if (Tiers.RequestOrder[i] == tier)
            {
                return i;
            }
        }

        return int.MaxValue;
    }

    /// <summary>Severity from the reporters' access windows; <paramref name="symptom"/> null: from what is known, without reading windows.</summary>
    private void UpdateImpact(Incident incident, Symptom? symptom)
    {
        // Each reporter's newest access-log figures, summed: one reporter's windows per symptom, not the fleet's.
        if (symptom is not null && IncidentImpact.FromWindows(WindowsOf(symptom.Reporter), symptom.Target, symptom.Time) is { } impact)
        {
            incident.SetImpact(symptom.Reporter.AgentId, impact);
        }

        if (!incident.HasImpact)
        {
            // No access log followed: the error log's own counts over the incident's span.
            var seconds = Math.Max(1, (incident.LastSeen - incident.FirstSeen).TotalSeconds);
            incident.FailedPerSecond = incident.ErrorCount / seconds;
        }

        incident.Severity = IncidentImpact.Severity(incident.FailedPerSecond, incident.FailureShare);
    }

    /// <summary>The reporter's access windows by target, rebuilt only after they changed.</summary>
    private WindowIndex WindowsOf(HostState reporter)
    {
        if (!_windows.TryGetValue(reporter.AgentId, out var index) || !ReferenceEquals(index.Source, reporter.AccessWindows))
        {
            _windows[reporter.AgentId] = index = WindowIndex.Of(reporter.AccessWindows);
        }

        return index;
    }

    private void PublishLiveness(string agentId)
    {
        if (_topology.Get(agentId) is { } host)
        {
            _liveness[agentId] = new AgentLiveness(host.Connected, host.LastHeard);
        }
    }

    private void Restore()
    {
        var now = _time.GetUtcNow();
        var agents = _agents.All();
        foreach (var agent in agents)
        {
            _topology.Upsert(agent.Id, agent.Hostname, agent.Addresses, agent.Roles);
            _topology.SetConnected(agent.Id, false, agent.LastSeen);
        }

        // Host state from the recent stored events, oldest first, as it was folded when they arrived.
        var replayed = 0;
        foreach (var (agentId, e) in _events.StateSince(now - _options.RestoreLookback))
        {
            if (e.ListenerSnapshot is { } snapshot)
            {
                _topology.SetListeners(agentId, snapshot, e.Time.ToDateTimeOffset());
            }
            else
            {
                _topology.Apply(agentId, e);
            }

            replayed++;
        }

        foreach (var agent in agents)
        {
            if (agent.Listeners is { } listeners && agent.ListenersAt is { } at)
            {
                _topology.SetListeners(agent.Id, listeners, at);
            }

            if (agent.ProxyConfig is { } config && agent.ProxyConfigAt is { } configAt && _topology.Get(agent.Id)?.ProxyConfig is null)
            {
                _topology.Apply(agent.Id, new Event { Time = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(configAt), ProxyConfig = config });
            }

            // Replayed events carry the agent's clocks; liveness is what the collector last heard.
            _topology.SetConnected(agent.Id, false, agent.LastSeen);
        }

        foreach (var agent in agents)
        {
            PublishLiveness(agent.Id);
        }

        Log.CorrelatorReplayed(_logger, replayed, _options.RestoreLookback);

        // Oldest first, so for one key the newest incident wins.
        var active = _incidents.LoadActive(_time.GetUtcNow() - _options.ReopenWindow);
        foreach (var incident in active.OrderBy(i => i.LastSymptomAt))
        {
            _active[incident.Key] = incident;
        }

        Log.CorrelatorRestored(_logger, _active.Count, _topology.Count);
    }

    private enum ChangeKind
    {
        Updated,
        Opened,
        Reopened,
    }

    private sealed record Change(Incident Incident, ChangeKind Kind);

    /// <summary>How a (reporter, cause, target) was last explained, and the host versions it rested on.</summary>
    private sealed record Explained(
        Incident Incident, string? OwnerId, long ReporterVersion, long OwnerVersion, long AddressVersion,
        DateTimeOffset ExplainedAt, DateTimeOffset SymptomTime, bool OwnerSilent)
    {
        /// <summary>Moved on by <see cref="Renew"/>.</summary>
        public DateTimeOffset ExplainedAt { get; set; } = ExplainedAt;

        public DateTimeOffset SymptomTime { get; set; } = SymptomTime;

        public DateTimeOffset ImpactAt { get; set; }
    }
}
