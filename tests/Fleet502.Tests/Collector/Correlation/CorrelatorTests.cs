using Fleet502.Diagnosis;
using Fleet502.Collector.Incidents;
using Fleet502.Protos.V1;
using Fleet502.Tests.Collector.Infrastructure;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;

namespace Fleet502.Tests.Collector.Correlation;

public sealed class CorrelatorTests : IDisposable
{
    private readonly CorrelatorHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void BackendDown_RefusedByTwoLoadBalancers_OpensOneIncidentOnTheOwningHost()
    {
        _harness.Hello("lb-1", "192.0.2.1");
        _harness.Hello("lb-2", "192.0.2.2");
        _harness.Hello("app-1", "192.0.2.10");
        _harness.Observe("app-1", Listeners(1, T0, TcpListener("0.0.0.0", 22, "sshd")));

        _harness.Observe("lb-1", Refused(1, T0.AddSeconds(1), "192.0.2.10:3000", count: 7, server: "shop.example.com"));
        _harness.Observe("lb-2", Refused(1, T0.AddSeconds(2), "192.0.2.10:3000", count: 5, server: "api.example.com"));
        _harness.Observe("lb-1", Refused(2, T0.AddSeconds(3), "192.0.2.10:3000", count: 3));

        var incident = Assert.Single(_harness.AllIncidents);
        Assert.Equal(Cause.BackendDown, incident.Cause);
        Assert.Equal("192.0.2.10:3000", incident.Target);
        Assert.Equal("app-1", incident.OwnerHost);
        Assert.Equal(15, incident.ErrorCount);
        Assert.Equal(["lb-1", "lb-2"], incident.Hosts);
        Assert.Equal(["api.example.com", "shop.example.com"], incident.Servers);
        Assert.Equal(0.95, incident.Confidence);
        Assert.Equal("app", incident.Tier);
        Assert.Equal(T0.AddSeconds(1), incident.FirstSeen);
        Assert.Equal(T0.AddSeconds(3), incident.LastSeen);
        Assert.Contains(incident.StateEvidence, e => e.Text == "app-1: nothing listens on 192.0.2.10:3000 (listener snapshot 12:03:01)");
        Assert.Equal(3, incident.Samples.Count);
        Assert.Equal("backend down: nothing listens on 192.0.2.10:3000 on app-1; 15 × 502 since 12:03:02", incident.Summary);
        Assert.Contains("start the service that should listen on 192.0.2.10:3000", incident.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Repeats_WhileTheOwnersStateIsUnchanged_AreCountedAndAfterItChangesAreExplainedAnew()
    {
        _harness.Hello("lb-1", "192.0.2.1");
        _harness.Hello("app-1", "192.0.2.10");
        _harness.Observe("app-1", Listeners(1, T0, TcpListener("0.0.0.0", 22, "sshd")));
        for (var i = 0; i < 50; i++)
        {
            _harness.Observe("lb-1", Refused((ulong)i + 1, T0.AddSeconds(1), "192.0.2.10:3000", count: 2, server: i % 2 == 0 ? "shop.example.com" : "api.example.com"));
        }

        var storm = Assert.Single(_harness.AllIncidents);
        Assert.Equal(100, storm.ErrorCount);
        Assert.Equal(["api.example.com", "shop.example.com"], storm.Servers);
        Assert.Equal(0.95, storm.Confidence);

        // app-1 listens on 3000 again (sampled at +2 s), then one more refusal is logged at +3 s: the
        // listener predates it, so the verdict weakens to "may have stopped since": asked anew, not repeated.
        _harness.Observe("app-1", Listeners(2, T0.AddSeconds(2), TcpListener("0.0.0.0", 3000, "node")));
        _harness.Observe("lb-1", Refused(51, T0.AddSeconds(3), "192.0.2.10:3000"));

        var after = Assert.Single(_harness.AllIncidents);
        Assert.Equal(101, after.ErrorCount);
        Assert.Equal(0.5, after.Confidence);
        Assert.Contains(after.StateEvidence, e => e.Text.Contains("was listening at", StringComparison.Ordinal));
    }

    [Fact]
    public void ManyLoadBalancersPastReexplainAfter_AskTheRulesOncePerIncident_UntilAReportersStateChanges()
    {
        var rules = new CountingRules(RuleSet.Default);
        using var harness = new CorrelatorHarness(rules: new RuleSet(rules.Rules));
        harness.Hello("app-1", "192.0.2.10");
        harness.Observe("app-1", Listeners(1, T0, TcpListener("0.0.0.0", 22, "sshd")));
        var seq = new Dictionary<string, ulong>();
        void Refusal(string lb, DateTimeOffset at)
        {
            seq[lb] = seq.GetValueOrDefault(lb) + 1;
            harness.Observe(lb, Refused(seq[lb], at, "192.0.2.10:3000"));
        }

        var lbs = Enumerable.Range(1, 10).Select(i => $"lb-{i}").ToList();
        foreach (var lb in lbs)
        {
            harness.Hello(lb, $"192.0.2.{100 + lbs.IndexOf(lb)}");
        }

        foreach (var lb in lbs)
        {
            Refusal(lb, T0.AddSeconds(1));
        }

        Assert.Equal(10, rules.Evaluations); // each load balancer's first symptom is explained

        // 31 s later every verdict is past ReexplainAfter: the first symptom has the rules explain
        // the incident anew, the other nine renew their verdicts from that.
        harness.Time.Advance(TimeSpan.FromSeconds(31));
        harness.Observe("app-1", Heartbeat(2, T0.AddSeconds(31))); // its agent still talks: not host-down
        foreach (var lb in lbs)
        {
            Refusal(lb, T0.AddSeconds(32));
        }

        Assert.Equal(11, rules.Evaluations);
        var storm = Assert.Single(harness.AllIncidents);
        Assert.Equal(20, storm.ErrorCount);
        Assert.Equal(10, storm.Hosts.Count);

        // A state change of one reporter (its listeners) still has that one explained anew.
        harness.Observe("lb-3", Listeners(seq["lb-3"] += 1, T0.AddSeconds(33), TcpListener("0.0.0.0", 80, "nginx")));
        Refusal("lb-3", T0.AddSeconds(34));
        Refusal("lb-4", T0.AddSeconds(34));
        Assert.Equal(12, rules.Evaluations);
    }

    /// <summary>The default rules, counting how often the correlator asks them for a verdict.</summary>
    private sealed class CountingRules(RuleSet inner)
    {
        public int Evaluations { get; private set; }

        public IReadOnlyList<IDiagnosisRule> Rules => [.. inner.Rules.Select(r => (IDiagnosisRule)new Counted(r, this))];

        private sealed class Counted(IDiagnosisRule rule, CountingRules owner) : IDiagnosisRule
        {
            public string Name => rule.Name;

            public bool AppliesTo(Symptom symptom) => rule.AppliesTo(symptom);

            public Verdict? Evaluate(Symptom symptom, HostState? host)
            {
                owner.Evaluations++;
                return rule.Evaluate(symptom, host);
            }

            public EvidenceItem? ConfirmRecovery(TargetAddress target, HostState? host, DateTimeOffset now) => rule.ConfirmRecovery(target, host, now);
        }
    }

    [Fact]
    public void StormOverManyIncidents_CountsEverySymptomInTheIncidentsTheApiReads()
    {
        _harness.Hello("lb-1", "192.0.2.1");
        ulong seq = 0;
        for (var round = 0; round < 3; round++)
        {
            // More incidents change per commit than are saved every commit.
            var batch = Enumerable.Range(0, Fleet502.Collector.Correlation.Correlator.SavedEveryCommit * 2)
                .Select(t => Refused(++seq, T0.AddSeconds(round), $"198.51.100.{t + 1}:8080", count: 3))
                .ToArray();
            _harness.Observe("lb-1", batch);
        }

        var incidents = _harness.AllIncidents;
        Assert.Equal(Fleet502.Collector.Correlation.Correlator.SavedEveryCommit * 2, incidents.Count);
        Assert.All(incidents, i => Assert.Equal(9, i.ErrorCount));
    }

    [Fact]
    public void UpstreamCrash_RestartReportedAfterTheErrors_JoinsTheOpenIncidentsEvidence()
    {
        var ledger = TcpListener("127.0.0.1", 3000, "php");
        ledger.Pid = 4100;
        ledger.Service = "ledger";
        _harness.Hello("web-1");
        _harness.Observe("web-1", Listeners(1, T0, ledger), Service(2, T0, "ledger", pid: 4100, restarts: 0, since: T0.AddMinutes(-10)));
        _harness.Observe("web-1", Error(3, T0.AddSeconds(5), Cause.UpstreamCrash, Tcp("127.0.0.1:3000"), 1, 502, "shop.example.com",
            "upstream prematurely closed connection while reading response header from upstream"));

        var before = Assert.Single(_harness.AllIncidents);
        Assert.Equal(Cause.UpstreamCrash, before.Cause);
        Assert.DoesNotContain(before.StateEvidence, e => e.Text.Contains("restarted", StringComparison.Ordinal));

        // supervisord's new process is sampled two seconds later; no new error follows.
        var restarted = TcpListener("127.0.0.1", 3000, "php");
        restarted.Pid = 4177;
        restarted.Service = "ledger";
        _harness.Observe("web-1", Service(4, T0.AddSeconds(7), "ledger", pid: 4177, restarts: 1, since: T0.AddSeconds(6)), Listeners(5, T0.AddSeconds(7), restarted));

        var after = Assert.Single(_harness.AllIncidents);
        Assert.Equal(before.Id, after.Id);
        Assert.Equal(1, after.ErrorCount); // state adds evidence, never errors
        Assert.Contains(after.StateEvidence, e => e.Text == "web-1: ledger restarted at 12:03:07 (1 restarts)");
        Assert.StartsWith("upstream crash: ledger on web-1 restarted at 12:03:07", after.Headline, StringComparison.Ordinal);
    }

    private static Event Service(ulong seq, DateTimeOffset time, string name, int pid, uint restarts, DateTimeOffset since) => new()
    {
        Seq = seq,
        Time = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(time),
        ServiceState = new ServiceState
        {
            Supervisor = SupervisorKind.Supervisord, Name = name, Status = ServiceStatus.Running, MainPid = pid, Restarts = restarts,
            StateSince = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(since), RawState = "RUNNING",
        },
    };

    [Fact]
    public void BackendDown_ListenerPresentInALaterSnapshot_OpensNothing()
    {
        _harness.Hello("web-1");
        _harness.Observe("web-1",
            Refused(1, T0, "127.0.0.1:3000"),
            Listeners(2, T0.AddSeconds(1), TcpListener("127.0.0.1", 3000)));

        Assert.Empty(_harness.AllIncidents);
    }

    [Fact]
    public void BackendDown_NoSnapshotYet_OpensWithLowerConfidenceAndSaysWhy()
    {
        _harness.Hello("web-1");
        _harness.Observe("web-1", Refused(1, T0, "127.0.0.1:3000"));

        var incident = Assert.Single(_harness.AllIncidents);
        Assert.Equal(0.6, incident.Confidence);
        Assert.Contains(incident.StateEvidence, e => e.Text.Contains("no listener snapshot received yet", StringComparison.Ordinal));
    }

    [Fact]
    public void BackendDown_SameLoopbackTargetOnTwoHosts_OpensTwoIncidents()
    {
        _harness.Hello("web-1");
        _harness.Hello("web-2");
        _harness.Observe("web-1", Refused(1, T0, "127.0.0.1:3000"));
        _harness.Observe("web-2", Refused(1, T0, "127.0.0.1:3000"));

        Assert.Equal(["web-1", "web-2"], _harness.AllIncidents.Select(i => i.OwnerHost).Order());
    }

    [Fact]
    public void SocketMissing_NoUnixListenerOnThePath_OpensSocketMissing()
    {
        _harness.Hello("web-1");
        _harness.Observe("web-1", Listeners(1, T0, UnixListener("/run/php/other.sock")));
        _harness.Observe("web-1", SocketMissing(2, T0.AddSeconds(1), "/run/php/php8.2-fpm.sock", count: 4));

        var incident = Assert.Single(_harness.AllIncidents);
        Assert.Equal(Cause.SocketMissing, incident.Cause);
        Assert.Equal("unix:/run/php/php8.2-fpm.sock", incident.Target);
        Assert.Equal("web-1", incident.OwnerHost);
        Assert.Equal(4, incident.ErrorCount);
        Assert.Equal(0.95, incident.Confidence);
        Assert.Contains(incident.StateEvidence, e => e.Text.Contains("no unix socket listens on /run/php/php8.2-fpm.sock", StringComparison.Ordinal));
    }

    [Fact]
    public void SocketMissing_PathStateFromTheAgent_IsTheEvidence()
    {
        _harness.Hello("web-1");
        var snapshot = Listeners(1, T0);
        snapshot.ListenerSnapshot.UnixPaths.Add(new UnixSocketPath { Path = "/run/app.sock", Exists = false });
        _harness.Observe("web-1", snapshot, SocketMissing(2, T0.AddSeconds(1), "/run/app.sock"));

        var incident = Assert.Single(_harness.AllIncidents);
        Assert.Contains(incident.StateEvidence, e => e.Text == "web-1: /run/app.sock does not exist (listener snapshot 12:03:01)");
    }

    [Fact]
    public void SocketMissing_SocketBackInALaterSnapshot_OpensNothing()
    {
        _harness.Hello("web-1");
        _harness.Observe("web-1",
            SocketMissing(1, T0, "/run/app.sock"),
            Listeners(2, T0.AddSeconds(1), UnixListener("/run/app.sock")));

        Assert.Empty(_harness.AllIncidents);
    }

    [Fact]
    public void CauseWithoutHostState_IsKeptAtLowerConfidence()
    {
        _harness.Hello("lb-1");
        _harness.Observe("lb-1", Error(1, T0, Cause.UpstreamTimeout, Tcp("127.0.0.1:8080"), 2, 504, "shop", "upstream timed out (110: Connection timed out)"));
        _harness.Observe("lb-1", Error(2, T0, Cause.Unknown, Tcp("127.0.0.1:8081"), 1, 502, "shop", "something odd"));

        var timeout = Assert.Single(_harness.AllIncidents, i => i.Cause == Cause.UpstreamTimeout);
        Assert.Equal(0.7, timeout.Confidence); // no access-log latency to confirm it
        Assert.Equal(2, timeout.ErrorCount);
        Assert.Contains("upstream timed out", Assert.Single(timeout.Samples).Text, StringComparison.Ordinal);
        Assert.Equal(0.3, Assert.Single(_harness.AllIncidents, i => i.Cause == Cause.Unknown).Confidence);
    }

    [Fact]
    public void Resolve_QuietPeriodPassedAndListenerBack_Resolves()
    {
        _harness.Hello("web-1");
        _harness.Observe("web-1", Listeners(1, T0), Refused(2, T0, "127.0.0.1:3000"));

        Assert.Equal(0, _harness.SweepAfter(TimeSpan.FromMinutes(3))); // quiet, but still nothing listens
        _harness.Observe("web-1", Listeners(3, T0.AddMinutes(3), TcpListener("0.0.0.0", 3000)));
        Assert.Equal(1, _harness.SweepAfter(TimeSpan.FromSeconds(5)));

        var incident = Assert.Single(_harness.AllIncidents);
        Assert.Equal(IncidentStatus.Resolved, incident.Status);
        Assert.Equal(_harness.Time.GetUtcNow(), incident.ResolvedAt);
        Assert.Contains(incident.StateEvidence, e => e.Text.Contains("127.0.0.1:3000 listens again", StringComparison.Ordinal));
    }

    [Fact]
    public void Resolve_ListenerBackButNotQuietYet_StaysOpen()
    {
        _harness.Hello("web-1");
        _harness.Observe("web-1", Listeners(1, T0), Refused(2, T0, "127.0.0.1:3000"));
        _harness.Observe("web-1", Listeners(3, T0.AddSeconds(10), TcpListener("127.0.0.1", 3000)));

        Assert.Equal(0, _harness.SweepAfter(TimeSpan.FromSeconds(119)));
        Assert.Equal(IncidentStatus.Open, Assert.Single(_harness.AllIncidents).Status);
        Assert.Equal(1, _harness.SweepAfter(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Reopen_NewSymptomWithinTenMinutesOfResolution_ReopensTheSameIncidentAndCountsTheFlap()
    {
        _harness.Hello("web-1");
        _harness.Observe("web-1", Listeners(1, T0), Refused(2, T0, "127.0.0.1:3000", count: 2));
        _harness.Observe("web-1", Listeners(3, T0.AddSeconds(30), TcpListener("127.0.0.1", 3000)));
        _harness.SweepAfter(TimeSpan.FromMinutes(2));
        var resolved = Assert.Single(_harness.AllIncidents);
        Assert.Equal(IncidentStatus.Resolved, resolved.Status);

        _harness.Time.Advance(TimeSpan.FromMinutes(5));
        var later = _harness.Time.GetUtcNow();
        _harness.Observe("web-1", Listeners(4, later), Refused(5, later, "127.0.0.1:3000", count: 3));

        var reopened = Assert.Single(_harness.AllIncidents);
        Assert.Equal(resolved.Id, reopened.Id);
        Assert.Equal(IncidentStatus.Open, reopened.Status);
        Assert.Null(reopened.ResolvedAt);
        Assert.Equal(1, reopened.FlapCount);
        Assert.Equal(5, reopened.ErrorCount);
    }

    [Fact]
    public void Reopen_NewSymptomLongAfterResolution_OpensANewIncident()
    {
        _harness.Hello("web-1");
        _harness.Observe("web-1", Listeners(1, T0), Refused(2, T0, "127.0.0.1:3000"));
        _harness.Observe("web-1", Listeners(3, T0.AddSeconds(30), TcpListener("127.0.0.1", 3000)));
        _harness.SweepAfter(TimeSpan.FromMinutes(2));

        _harness.Time.Advance(TimeSpan.FromMinutes(11));
        var later = _harness.Time.GetUtcNow();
        _harness.Observe("web-1", Listeners(4, later), Refused(5, later, "127.0.0.1:3000"));

        Assert.Equal(2, _harness.AllIncidents.Count);
        Assert.Equal(0, _harness.AllIncidents.Single(i => i.Status == IncidentStatus.Open).FlapCount);
    }

    [Fact]
    public void Restart_OnTheSameFile_ContinuesTheOpenIncidentAndKeepsTheListeners()
    {
        _harness.Hello("web-1");
        _harness.Observe("web-1", Listeners(1, T0), Refused(2, T0, "127.0.0.1:3000", count: 2));
        var before = Assert.Single(_harness.AllIncidents);

        _harness.Restart();
        _harness.Observe("web-1", Refused(3, T0.AddSeconds(10), "127.0.0.1:3000", count: 3));

        var after = Assert.Single(_harness.AllIncidents);
        Assert.Equal(before.Id, after.Id);
        Assert.Equal(5, after.ErrorCount);
        Assert.Equal(0.95, after.Confidence); // the restored snapshot still confirms it
    }

    [Fact]
    public void EvidenceSamples_AreBoundedToTheNewest()
    {
        _harness.Hello("web-1");
        for (ulong seq = 1; seq <= 30; seq++)
        {
            _harness.Observe("web-1", Refused(seq, T0.AddSeconds(seq), "127.0.0.1:3000"));
        }

        var incident = Assert.Single(_harness.AllIncidents);
        Assert.Equal(Incident.MaxSamples, incident.Samples.Count);
        Assert.Contains("*30 connect()", incident.Samples[^1].Text, StringComparison.Ordinal);
        Assert.Equal(30, incident.ErrorCount);
    }
}
