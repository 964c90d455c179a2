using System.Globalization;
using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis.Rules;

/// <summary>
/// "upstream timed out (110: Connection timed out) while reading response header": nginx's own
/// read timer fired, a 504. The slow target's latency comes from the reporter's access-log windows
/// toward it, and the timeout in effect from its nginx config.
/// </summary>
public sealed class UpstreamTimeoutRule : IDiagnosisRule
{
    public const string RuleName = "upstream_timeout";

    // nginx's default proxy_read_timeout / fastcgi_read_timeout.
    private const uint DefaultReadTimeoutMs = 60_000;

    /// <summary>Access windows older than this before the error do not describe it.</summary>
    public static readonly TimeSpan WindowAge = TimeSpan.FromMinutes(2);

    public string Name => RuleName;

    public bool AppliesTo(Symptom symptom) => symptom.Cause == Cause.UpstreamTimeout;

    public Verdict? Evaluate(Symptom symptom, HostState? owner)
    {
        var lb = symptom.Reporter;
        var target = symptom.Target;
        var evidence = new List<EvidenceItem>();
        var route = lb.ProxyConfig is { } config ? ProxyRoutes.For(config.Value, target, symptom.Error.Server).FirstOrDefault() : null;
        var timeoutName = $"{route?.Module ?? "proxy"}_read_timeout";
        var timeoutMs = route is not null && route.TimeoutsMs.TryGetValue(timeoutName, out var ms) && ms > 0 ? ms : DefaultReadTimeoutMs;
        if (route is not null)
        {
            evidence.Add(new(lb.ProxyConfig!.At, lb.Hostname, "nginx -T",
                $"{lb.Hostname}: {timeoutName} {Seconds(timeoutMs)} for {route.Module}_pass {route.Target} in {ProxyRoutes.Describe(route)}"));
        }

        var windows = Windows(lb, target, symptom.Time).ToList();
        var latency = "";
        if (windows.Count > 0)
        {
            var newest = windows.MaxBy(w => w.At)!;
            var q = newest.Value.UpstreamResponseTime;
            var timedOut = newest.Value.UpstreamStatuses.GetValueOrDefault(504u);
            latency = q is { Count: > 0 } ? $" (p99 {Seconds(q.P99Ms)}, max {Seconds(q.MaxMs)})" : "";
            evidence.Add(new(newest.At, lb.Hostname, "access log", string.Create(CultureInfo.InvariantCulture,
                $"{lb.Hostname}: toward {target} in the 10 s from {TimeText.Of(newest.Value.Start.ToDateTimeOffset())}: {newest.Value.Attempts} attempts, {timedOut} × 504, upstream response time p50 {Seconds(q?.P50Ms ?? 0)}, p99 {Seconds(q?.P99Ms ?? 0)}, max {Seconds(q?.MaxMs ?? 0)}")));
        }
        else
        {
            evidence.Add(new(symptom.Time, lb.Hostname, "access log", $"{lb.Hostname}: no access-log window toward {target}, so its latency is unknown"));
        }

        if (owner is not null && ServiceOwner.Find(owner, target) is { } service)
        {
            var s = service.Service.Value;
            evidence.Add(new(service.Service.At, owner.Hostname, BackendDownRule.Supervisor(s),
                string.Create(CultureInfo.InvariantCulture, $"{owner.Hostname}: {s.Name} is {ProtoEnumName.ToSnakeCase(s.Status)} (pid {s.MainPid}, {s.MemoryBytes / (1024 * 1024)} MiB): up but slow")));
        }

        var where = owner is null ? target.Text : $"{target} on {owner.Hostname}";
        return new Verdict(Cause.UpstreamTimeout, windows.Count > 0 ? 0.9 : 0.7,
            $"upstream timeout: {where} answers slower than {lb.Hostname}'s {timeoutName} {Seconds(timeoutMs)}{latency}",
            $"find why {where} is slow (its logs, database, CPU, a lock); raise {timeoutName} above its real latency only if slow is expected",
            Tiers.App, evidence);
    }

    public EvidenceItem? ConfirmRecovery(TargetAddress target, HostState? owner, DateTimeOffset now) =>
        new(now, owner?.Hostname ?? "collector", "collector", $"no new timeouts toward {target}");

    /// <summary>The reporter's access windows toward the target, near the time.</summary>
    public static IEnumerable<Timed<AccessWindow>> Windows(HostState reporter, TargetAddress target, DateTimeOffset around) =>
        reporter.AccessWindows.Values.Where(w =>
            w.At >= around - WindowAge && w.At <= around + WindowAge
            && (w.Value.Upstream == target.Text || w.Value.UpstreamGroup == target.Text
                || (w.Value.Upstream.Length > 0 && TargetAddress.CanonicalText(w.Value.Upstream) == target.Text)));

    private static string Seconds(uint ms) => string.Create(CultureInfo.InvariantCulture, $"{ms / 1000.0:0.###}s");
}
