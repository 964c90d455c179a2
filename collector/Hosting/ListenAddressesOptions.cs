using System.Net;

namespace Fleet502.Collector.Hosting;

/// <summary>The two cleartext endpoints (config section <c>Listen</c>). Port 0 picks a free port.</summary>
internal sealed class ListenAddressesOptions : IValidatableOptions
{
    public const string Section = "Listen";

    /// <summary>gRPC ingest for agents, HTTP/2 without TLS (h2c). Default <c>127.0.0.1:7400</c>.</summary>
    public string Grpc { get; set; } = "127.0.0.1:7400";

    /// <summary>REST API and health, HTTP/1.1. Default <c>127.0.0.1:7401</c>.</summary>
    public string Http { get; set; } = "127.0.0.1:7401";

    public IPEndPoint GrpcEndPoint => Parse(Grpc);

    public IPEndPoint HttpEndPoint => Parse(Http);

    public IEnumerable<string> Validate()
    {
        if (!IPEndPoint.TryParse(Grpc ?? "", out _))
        {
            yield return $"Listen:Grpc '{Grpc}' is not an address:port such as 127.0.0.1:7400 or [::]:7400";
        }

        if (!IPEndPoint.TryParse(Http ?? "", out _))
        {
            yield return $"Listen:Http '{Http}' is not an address:port such as 127.0.0.1:7401 or [::]:7401";
        }
    }

    private static IPEndPoint Parse(string value) => IPEndPoint.Parse(value);
}
