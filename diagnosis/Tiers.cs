using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis;

/// <summary>Which tier a cause points at, for the API's <c>tier</c> field.</summary>
public static class Tiers
{
    public const string App = "app";
    public const string LoadBalancer = "load_balancer";
    public const string Cdn = "cdn";
    public const string Unknown = "unknown";

    public static string Of(Cause cause) => cause switch
    {
        Cause.CdnOriginUnreachable => Cdn,
        Cause.HeaderTooBig or Cause.NoLiveUpstreams or Cause.DnsFailure or Cause.TlsUpstreamFailure
            or Cause.FdExhaustion or Cause.AddressExhaustion => LoadBalancer,
        Cause.Unknown or Cause.Unspecified => Unknown,
        _ => App,
    };
}
