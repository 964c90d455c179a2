using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis.Rules;

/// <summary>
/// "connect() to unix:/run/app.sock failed (2: No such file or directory)". The socket lives on
/// the reporting host; confirmed when its newest listener snapshot has no unix listener on that path.
/// </summary>
public sealed class SocketMissingRule : IDiagnosisRule
{
    public const string RuleName = "socket_missing";

    public string Name => RuleName;

    public bool AppliesTo(Symptom symptom) =>
        symptom.Cause == Cause.SocketMissing && symptom.Target.Kind == TargetKind.Unix;

    public Verdict? Evaluate(Symptom symptom, HostState? owner)
    {
        var host = owner ?? symptom.Reporter;
        var path = symptom.Target.UnixPath;
        var fix = $"start the service that should create {path} on {host.Hostname} (php-fpm, gunicorn, ...), " +
            "or fix fastcgi_pass/proxy_pass to the path it creates";
        if (host.Listeners is not { } listeners || host.ListenersAt is not { } sampledAt)
        {
            return Make(0.6, $"socket missing: {path} on {host.Hostname} does not exist", fix,
                new EvidenceItem(symptom.Time, host.Hostname, "listeners",
                    $"{host.Hostname}: no listener snapshot received yet, so nothing confirms that {path} is missing"));
        }

        if (ListenerMatch.AcceptsUnix(listeners, symptom.Target))
        {
            return sampledAt >= symptom.Time
                ? null
                : Make(0.5, $"socket missing: {path} on {host.Hostname} does not exist", fix,
                    new EvidenceItem(sampledAt, host.Hostname, "listeners",
                        $"{host.Hostname}: {path} was listening at {TimeText.Of(sampledAt)}, before the error at {TimeText.Of(symptom.Time)}; it may have gone since"));
        }

        var state = ListenerMatch.PathState(listeners, symptom.Target) switch
        {
            { Exists: false } => $"{path} does not exist",
            { IsSocket: false } => $"{path} exists but is not a socket",
            { } => $"{path} is a socket file that no process listens on (left over by a stopped service)",
            null => $"no unix socket listens on {path}",
        };
        return Make(0.95, $"socket missing: nothing listens on {path} on {host.Hostname}", fix,
            new EvidenceItem(sampledAt, host.Hostname, "listeners", $"{host.Hostname}: {state} (listener snapshot {TimeText.Of(sampledAt)})"));
    }

    public EvidenceItem? ConfirmRecovery(TargetAddress target, HostState? owner, DateTimeOffset now)
    {
        if (owner?.Listeners is not { } listeners || owner.ListenersAt is not { } sampledAt)
        {
            return new EvidenceItem(now, owner?.Hostname ?? "collector", "listeners",
                $"no new errors toward {target}; no listener snapshot to confirm it is back");
        }

        return ListenerMatch.AcceptsUnix(listeners, target)
            ? new EvidenceItem(sampledAt, owner.Hostname, "listeners",
                $"{owner.Hostname}: {target.UnixPath} listens again (listener snapshot {TimeText.Of(sampledAt)})")
            : null;
    }

    private static Verdict Make(double confidence, string headline, string fix, EvidenceItem evidence) =>
        new(Cause.SocketMissing, confidence, headline, fix, Tiers.App, [evidence]);
}
