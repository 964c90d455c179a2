using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Fleet502.Collector.Hosting;

/// <summary>
/// The Kestrel endpoints as configured; once the server has started, Kestrel has written the
/// bound port back into them (the real port when port 0 was asked for).
/// </summary>
internal sealed class BoundEndpoints
{
    public ListenOptions? Grpc { get; set; }

    public ListenOptions? Http { get; set; }

    public Uri GrpcUri => ToUri(Grpc);

    public Uri HttpUri => ToUri(Http);

    private static Uri ToUri(ListenOptions? options) =>
        options?.IPEndPoint is { } endPoint
            ? new Uri($"http://{endPoint}")
            : throw new InvalidOperationException("The collector has not been configured to listen yet.");
}
