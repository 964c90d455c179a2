using System.Globalization;
using Fleet502.Protos.V1;

namespace Fleet502.Collector.Incidents;

/// <summary>
/// One root cause at one target, from first symptom to resolution. Only the correlator mutates it
/// (under its lock); the store, the API and the webhooks see copies read back or serialized.
/// </summary>
internal sealed class Incident
{
    /// <summary>Raw log lines kept as evidence; older ones are dropped (the count keeps growing).</summary>
    public const int MaxSamples = 20;

    public required string Id { get; init; }

    public required IncidentKey Key { get; init; }

    public Cause Cause => Key.Cause;

    public string Target => Key.Target;

    public IncidentStatus Status { get; set; } = IncidentStatus.Open;

    /// <summary>Name of the rule that explains it; it also decides when the target is healthy again.</summary>
    public string Rule { get; set; } = "";

    /// <summary>The agent that owns the target, when known.</summary>
    public string? OwnerAgentId { get; set; }

    /// <summary>Hostname of <see cref="OwnerAgentId"/>.</summary>
    public string? OwnerHost { get; set; }

    /// <summary>Which tier failed: <c>app</c>, <c>load_balancer</c>, <c>cdn</c> or <c>unknown</c>.</summary>
    public string Tier { get; set; } = "unknown";

    /// <summary>Every tier that saw the failure, in request order (cdn, load_balancer, app, host), ending with the one at fault.</summary>
    public List<string> TierChain { get; init; } = [];

    /// <summary><c>critical</c>, <c>major</c> or <c>minor</c>, from <see cref="FailedPerSecond"/> and <see cref="FailureShare"/>.</summary>
    public string Severity { get; set; } = IncidentImpact.Minor;

    /// <summary>Failed requests per second at the newest symptom, summed over the reporters.</summary>
    public double FailedPerSecond { get; set; }

    /// <summary>Failed requests as a share (0..1) of all the reporters' traffic; null without access-log windows.</summary>
    public double? FailureShare { get; set; }

    /// <summary>
    /// When the rules last explained it (collector clock) and that symptom's time; kept in memory.
    /// Other reporters' verdicts on it are renewed from this instead of each asking the rules again.
    /// </summary>
    public (DateTimeOffset At, DateTimeOffset SymptomTime) LastExplained { get; set; }

    /// <summary>Each reporter's newest access-log impact (kept in memory; the sums are stored).</summary>
    private readonly Dictionary<string, IncidentImpact.ReporterImpact> _impact = new(StringComparer.Ordinal);

    // The sums over _impact, kept as it changes: a thousand reporters are not summed on every symptom.
    // Summed anew every ResumEvery updates, so rounding cannot pile up in a long incident.
    private const int ResumEvery = 4096;
    private double _perSecond;
    private double _failed;
    private double _total;
    private int _impactUpdates;

    /// <summary>Hostnames of the agents that reported the symptom.</summary>
    public SortedSet<string> Hosts { get; init; } = new(StringComparer.Ordinal);

    /// <summary>nginx server names whose requests failed.</summary>
    public SortedSet<string> Servers { get; init; } = new(StringComparer.Ordinal);

    public DateTimeOffset FirstSeen { get; set; }

    /// <summary>Time of the newest symptom, as the agent logged it.</summary>
    public DateTimeOffset LastSeen { get; set; }

    /// <summary>When the collector last received a symptom: the quiet period counts from here.</summary>
    public DateTimeOffset LastSymptomAt { get; set; }

    public DateTimeOffset? ResolvedAt { get; set; }

    public long ErrorCount { get; set; }

    /// <summary>HTTP status clients got with the newest symptom (502, 504, ...).</summary>
    public int LastStatus { get; set; }

    public double Confidence { get; set; }

    public int FlapCount { get; set; }

    /// <summary>What is wrong, in one clause: "backend down: nothing listens on 127.0.0.1:3000 on web-1".</summary>
    public string Headline { get; set; } = "";

    public string Fix { get; set; } = "";

    /// <summary>What the rule found in the hosts' state, newest verdict only.</summary>
    public List<EvidenceItem> StateEvidence { get; init; } = [];

    /// <summary>The newest raw lines, at most <see cref="MaxSamples"/>.</summary>
    public List<EvidenceItem> Samples { get; init; } = [];

    public string Summary =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Headline}; {ErrorCount} × {(LastStatus > 0 ? LastStatus.ToString(CultureInfo.InvariantCulture) : "errors")} since {FirstSeen.UtcDateTime:HH:mm:ss}");

    public IEnumerable<EvidenceItem> Evidence => StateEvidence.Concat(Samples);

    /// <summary>Whether any reporter's access-log windows measured it.</summary>
    public bool HasImpact => _impact.Count > 0;

    /// <summary>Takes one reporter's newest impact and sets the rate and share over all reporters.</summary>
    public void SetImpact(string reporterId, IncidentImpact.ReporterImpact impact)
    {
        if (_impact.TryGetValue(reporterId, out var old))
        {
            _perSecond -= old.PerSecond;
            _failed -= old.Failed;
            _total -= old.Total;
        }

        _impact[reporterId] = impact;
        _perSecond += impact.PerSecond;
        _failed += impact.Failed;
        _total += impact.Total;
        if (++_impactUpdates % ResumEvery == 0)
        {
            (_perSecond, _failed, _total) = (0, 0, 0);
            foreach (var each in _impact.Values)
            {
                (_perSecond, _failed, _total) = (_perSecond + each.PerSecond, _failed + each.Failed, _total + each.Total);
            }
        }

        FailedPerSecond = _perSecond;
        FailureShare = _failed / Math.Max(1, _total);
    }

    public void AddSample(EvidenceItem sample)
    {
        Samples.Add(sample);
        if (Samples.Count > MaxSamples)
        {
            Samples.RemoveRange(0, Samples.Count - MaxSamples);
        }
    }
}
