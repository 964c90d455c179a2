using System.Globalization;
using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis.Rules;

/// <summary>
/// "upstream sent too big header": the backend's response headers (cookies, long redirects) do not
/// fit nginx's <c>*_buffer_size</c>. The backend is healthy; the load balancer's buffers are too
/// small, so the incident is the load balancer's, with the configured sizes and the values to set.
/// </summary>
public sealed class HeaderTooBigRule : IDiagnosisRule
{
    public const string RuleName = "header_too_big";

    // nginx's default *_buffer_size is one memory page: 4k on x86-64.
    private const int DefaultBufferBytes = 4096;

    public string Name => RuleName;

    public bool AppliesTo(Symptom symptom) => symptom.Cause == Cause.HeaderTooBig;

    public Verdict? Evaluate(Symptom symptom, HostState? owner)
    {
        var lb = symptom.Reporter;
        var target = symptom.Target;
        var route = lb.ProxyConfig is { } config ? ProxyRoutes.For(config.Value, target, symptom.Error.Server).FirstOrDefault() : null;
        var module = route?.Module ?? Module(symptom.Error.Target?.Scheme);
        var sizeName = $"{module}_buffer_size";
        var buffersName = $"{module}_buffers";
        var evidence = new List<EvidenceItem>();
        string configured;
        int current;
        if (route is not null)
        {
            var size = route.Buffers.GetValueOrDefault(sizeName);
            var buffers = route.Buffers.GetValueOrDefault(buffersName);
            current = TryBytes(size, out var bytes) ? bytes : DefaultBufferBytes;
            configured = $"{sizeName} {size ?? "4k (default)"}, {buffersName} {buffers ?? "8 4k (default)"}";
            evidence.Add(new(lb.ProxyConfig!.At, lb.Hostname, "nginx -T",
                $"{lb.Hostname}: {module}_pass {route.Target} in {ProxyRoutes.Describe(route)} has {configured}"));
        }
        else
        {
            current = DefaultBufferBytes;
            configured = $"{sizeName} not found in {lb.Hostname}'s config (default 4k)";
            evidence.Add(new(symptom.Time, lb.Hostname, "nginx -T",
                lb.ProxyConfig is null
                    ? $"{lb.Hostname}: nginx's config was not read, so the buffer sizes are nginx's defaults or unknown"
                    : $"{lb.Hostname}: no {module}_pass route toward {target} was found in nginx -T"));
        }

        var next = Math.Max(current * 2, 16 * 1024);
        var k = next / 1024;
        var fix = string.Create(CultureInfo.InvariantCulture,
            $"on {lb.Hostname}{(route is null ? "" : $", in {ProxyRoutes.Describe(route)}")}: {sizeName} {k}k; {buffersName} 8 {k}k; {module}_busy_buffers_size {k * 2}k; then nginx -t && nginx -s reload (or make the backend send smaller headers and cookies)");
        var healthy = owner is not null ? $"; {target} on {owner.Hostname} answers, its headers are larger than the buffer" : "";
        return new Verdict(Cause.HeaderTooBig, route is not null ? 0.95 : 0.8,
            $"header too big: {lb.Hostname}'s {sizeName} ({Size(current)}) is smaller than the response headers of {target}{healthy}",
            fix, Tiers.LoadBalancer, evidence);
    }

    public EvidenceItem? ConfirmRecovery(TargetAddress target, HostState? owner, DateTimeOffset now) =>
        new(now, owner?.Hostname ?? "collector", "collector", $"no new errors toward {target}");

    /// <summary>nginx sizes: "16k", "1m", "4096".</summary>
    public static bool TryBytes(string? text, out int bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var t = text.Trim().ToLowerInvariant();
        var unit = t[^1] switch
        {
            'k' => 1024,
            'm' => 1024 * 1024,
            _ => 1,
        };
        var digits = unit == 1 ? t : t[..^1];
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }

        bytes = n * unit;
        return true;
    }

    private static string Size(int bytes) =>
        bytes % 1024 == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024}k") : bytes.ToString(CultureInfo.InvariantCulture);

    private static string Module(string? scheme) => scheme switch
    {
        "fastcgi" => "fastcgi",
        "uwsgi" => "uwsgi",
        "scgi" => "scgi",
        "grpc" or "grpcs" => "grpc",
        _ => "proxy",
    };
}
