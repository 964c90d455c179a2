using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis.Rules;

/// <summary>
/// "upstream sent invalid header" / "no valid HTTP/1.0 header": what answers at the target is not
/// speaking the HTTP nginx expects. When the load balancer's config speaks the wrong protocol to it
/// (proxy_pass to PHP-FPM, fastcgi_pass to an HTTP server) the fault is the proxy's configuration.
/// </summary>
public sealed class InvalidHeaderRule : IDiagnosisRule
{
    public const string RuleName = "invalid_header";

    public string Name => RuleName;

    public bool AppliesTo(Symptom symptom) =>
        symptom.Cause is Cause.InvalidHeader or Cause.Http09Response && symptom.Target.Kind != TargetKind.Group;

    public Verdict? Evaluate(Symptom symptom, HostState? owner)
    {
        var target = symptom.Target;
        var cause = symptom.Cause;
        var label = cause == Cause.Http09Response ? "HTTP/0.9 response" : "invalid header";
        var evidence = new List<EvidenceItem>();
        var listener = owner?.Listeners is { } snapshot ? ListenerMatch.Find(snapshot, target) : null;
        if (listener is not null && owner?.ListenersAt is { } at)
        {
            evidence.Add(new(at, owner.Hostname, "listeners", $"{owner.Hostname}: {ListenerMatch.Describe(listener)} listens on {target}"));
        }

        var route = symptom.Reporter.ProxyConfig is { } config ? ProxyRoutes.For(config.Value, target, symptom.Error.Server).FirstOrDefault() : null;
        if (route is not null)
        {
            evidence.Add(new(symptom.Reporter.ProxyConfig!.At, symptom.Reporter.Hostname, "nginx -T",
                $"{symptom.Reporter.Hostname}: {route.Module}_pass {route.Target} in {ProxyRoutes.Describe(route)}"));
        }

        var fastCgiServer = listener is not null && (listener.Process.Contains("php-fpm", StringComparison.Ordinal) || listener.CommandLine.Contains("php-fpm", StringComparison.Ordinal));
        if (route is not null && listener is not null && route.Module == "proxy" && fastCgiServer)
        {
            return new Verdict(cause, 0.95, $"{label}: {symptom.Reporter.Hostname} speaks HTTP (proxy_pass) to PHP-FPM on {target}, which speaks FastCGI",
                $"on {symptom.Reporter.Hostname} replace proxy_pass {route.Target} with fastcgi_pass {ProxyRoutes.Strip(route.Target)}; include fastcgi_params",
                Tiers.LoadBalancer, evidence);
        }

        if (route is not null && listener is not null && route.Module == "fastcgi" && !fastCgiServer)
        {
            return new Verdict(cause, 0.8, $"{label}: {symptom.Reporter.Hostname} speaks FastCGI (fastcgi_pass) to {ListenerMatch.Describe(listener)} on {target}",
                $"on {symptom.Reporter.Hostname} use proxy_pass http://{target} if {listener.Process} is an HTTP server",
                Tiers.LoadBalancer, evidence);
        }

        var who = listener is not null ? ListenerMatch.Describe(listener) : target.Text;
        var where = owner is null ? "" : $" on {owner.Hostname}";
        evidence.Add(new(symptom.Time, symptom.Reporter.Hostname, symptom.Source,
            $"{symptom.Reporter.Hostname}: nginx could not parse the response header of {target}"));
        return new Verdict(cause, listener is not null ? 0.85 : 0.6,
            $"{label}: {who}{where} answers with a response nginx cannot parse",
            cause == Cause.Http09Response
                ? $"{who} answers without an HTTP status line: check that it speaks HTTP on {target} (not a raw TCP or TLS port)"
                : $"fix {who}'s response headers: output before the headers (PHP warnings, BOM), bare LF, spaces or invalid characters in a header name",
            Tiers.App, evidence);
    }

    public EvidenceItem? ConfirmRecovery(TargetAddress target, HostState? owner, DateTimeOffset now) =>
        new(now, owner?.Hostname ?? "collector", "collector", $"no new errors toward {target}");
}
