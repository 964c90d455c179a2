using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis;

/// <summary>Which tier a cause points at, for the API's <c>tier</c> field.</summary>
public static class Tiers
{
    public const string App = "app";
    public const string LoadBalancer = "load_balancer";
    public const string Cdn = "cdn";
    public const string Host = "host";
    public const string Unknown = "unknown";

    /// <summary>Tiers in the order a request passes them, for the incident's tier chain.</summary>
    public static readonly IReadOnlyList<string> RequestOrder = [Cdn, LoadBalancer, App, Host];

    /// <summary>The tier a reporting host stands for, from its Hello roles: CDN probes, else nginx in front (load balancer).</summary>
    public static string OfReporter(IEnumerable<string> roles) =>
        roles.Any(r => r.StartsWith("cdn", StringComparison.OrdinalIgnoreCase)) ? Cdn : LoadBalancer;

    public static string Of(Cause cause) => cause switch
    {
        Cause.CdnOriginUnreachable => Cdn,
        Cause.HeaderTooBig or Cause.NoLiveUpstreams or Cause.DnsFailure or Cause.TlsUpstreamFailure
            or Cause.FdExhaustion or Cause.AddressExhaustion => LoadBalancer,
        Cause.HostDown or Cause.HostUnreachable => Host,
        Cause.Unknown or Cause.Unspecified => Unknown,
        _ => App,
    };
}
