using System.Collections.Frozen;
using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis.Rules;

/// <summary>
/// The last rule: takes the cause the agent classified from the log line, at lower confidence,
/// because no host state confirms it yet. This keeps every failure visible, <c>unknown</c> included.
/// </summary>
public sealed class ReportedCauseRule : IDiagnosisRule
{
    public const string RuleName = "reported_cause";

    private static readonly FrozenDictionary<Cause, string> Fixes = new Dictionary<Cause, string>
    {
        [Cause.BackendDown] = "start the service that should listen there, or fix the proxy_pass address",
        [Cause.SocketMissing] = "start the service that should create the socket, or fix the socket path in nginx",
        [Cause.SocketPermission] = "let nginx's user open the socket (php-fpm listen.owner/listen.group/listen.mode, or the directory's permissions)",
        [Cause.BacklogFull] = "raise the backend's listen backlog (listen.backlog, net.core.somaxconn) and its number of workers",
        [Cause.FpmPoolExhausted] = "raise pm.max_children, or find what keeps the workers busy (slow log)",
        [Cause.UpstreamCrash] = "check the backend's own log and its supervisor for a crash, restart loop or OOM kill",
        [Cause.InvalidHeader] = "the backend answers with something that is not HTTP: check for output before the headers, or a protocol mismatch",
        [Cause.HeaderTooBig] = "raise proxy_buffer_size/proxy_buffers (fastcgi_buffer_size for PHP), or send smaller headers and cookies",
        [Cause.UpstreamTimeout] = "find why the backend is slow (its logs, database, CPU), or raise proxy_read_timeout if slow is expected",
        [Cause.ConnectTimeout] = "the target does not answer SYNs: check that its host is up and that no firewall drops nginx's connections",
        [Cause.NoLiveUpstreams] = "every server of the upstream group failed: fix the servers, then check max_fails/fail_timeout",
        [Cause.HostUnreachable] = "check the route to the target host and that the host is up",
        [Cause.DnsFailure] = "fix the upstream's name, or set a resolver in nginx that can resolve it",
        [Cause.TlsUpstreamFailure] = "check the upstream's certificate and nginx's proxy_ssl_* settings (SNI, trusted CA, protocols)",
        [Cause.FdExhaustion] = "raise worker_rlimit_nofile and LimitNOFILE for nginx",
        [Cause.AddressExhaustion] = "ephemeral ports ran out: use keepalive to the upstream, or widen net.ipv4.ip_local_port_range",
    }.ToFrozenDictionary();

    public string Name => RuleName;

    public bool AppliesTo(Symptom symptom) => true;

    public Verdict? Evaluate(Symptom symptom, HostState? owner)
    {
        var name = ProtoEnumName.ToSnakeCase(symptom.Cause);
        var where = owner is null ? symptom.Target.Text : $"{symptom.Target} on {owner.Hostname}";
        var confidence = symptom.Cause == Cause.Unknown ? 0.3 : 0.5;
        var fix = Fixes.GetValueOrDefault(symptom.Cause, "no rule explains this failure yet: read the evidence lines");
        var evidence = new EvidenceItem(symptom.Time, symptom.Reporter.Hostname, symptom.Source,
            $"{symptom.Reporter.Hostname}: nginx reported {name} toward {symptom.Target}; no host state was checked for this cause");
        return new Verdict(symptom.Cause, confidence, $"{name.Replace('_', ' ')}: {where}", fix, Tiers.Of(symptom.Cause), [evidence]);
    }

    public EvidenceItem? ConfirmRecovery(TargetAddress target, HostState? owner, DateTimeOffset now) =>
        new(now, owner?.Hostname ?? "collector", "collector", $"no new errors toward {target}");
}
