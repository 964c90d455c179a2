using System.Net;
using System.Net.Sockets;
using System.Text;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet502.Agent.Diagnosis;

/// <summary>
/// One request through the CDN to a public URL and the same request to the origin directly. No agent
/// runs inside a CDN, so this is how a CDN-tier failure is seen: a Cloudflare-generated error page
/// (<c>server: cloudflare</c>, <c>cf-ray</c>, and a 52x status or Cloudflare's own 502/504 body)
/// becomes a <see cref="Cause.CdnOriginUnreachable"/> symptom toward the origin. An answer the origin
/// produced (the CDN only relays it) is not: the origin's own logs explain those.
/// </summary>
public static class CdnProbe
{
    private const int MaxBody = 64 * 1024;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>The probe's result; <see cref="Symptom"/> is set when the CDN answered with its own error.</summary>
    public sealed record Result(string Summary, Event? Symptom);

    public static async Task<Result> RunAsync(Uri url, string origin, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { Timeout = Timeout };
        var (status, server, ray, body) = await GetAsync(http, url, null, cancellationToken);
        var via = $"GET {url} -> {status}" + (server.Length > 0 ? $", server: {server}" : "") + (ray.Length > 0 ? $", cf-ray: {ray}" : "");
        if (!CdnGenerated(status, server, body))
        {
            return new Result(via + (status is 502 or 504 or >= 520 and <= 530 ? " (relayed from the origin: see its own logs)" : ""), null);
        }

        var direct = new UriBuilder(url) { Scheme = "http", Host = HostOf(origin), Port = PortOf(origin) }.Uri;
        string originAnswer;
        try
        {
            var (originStatus, _, _, _) = await GetAsync(http, direct, url.Authority, cancellationToken);
            originAnswer = $"the same request sent to the origin {origin} directly -> {originStatus}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or SocketException)
        {
            originAnswer = $"the same request sent to the origin {origin} directly failed: {e.Message}";
        }

        var now = time.GetUtcNow();
        var text = $"{via} (the CDN's own error page); {originAnswer}";
        var error = new UpstreamError
        {
            Cause = Cause.CdnOriginUnreachable,
            Phase = Phase.Connect,
            Target = new UpstreamTarget { Scheme = "http", Address = origin, Host = HostOf(origin), Port = (uint)PortOf(origin) },
            Server = url.Host,
            Request = $"GET {url.PathAndQuery} HTTP/1.1",
            Host = url.Authority,
            Status = status,
            Count = 1,
            FirstTime = Timestamp.FromDateTimeOffset(now),
            LastTime = Timestamp.FromDateTimeOffset(now),
            Raw = text,
            UpstreamUrl = url.ToString(),
        };
        return new Result(text, new Event { Time = Timestamp.FromDateTimeOffset(now), Source = new SourceRef { Path = $"probe {url}" }, UpstreamError = error });
    }

    /// <summary>
    /// Cloudflare's own answer (cloudflare-docs, 5xx errors): <c>server: cloudflare</c> with a 52x/530,
    /// or with a 502/504 whose body is Cloudflare's (its error page markup or the word cloudflare) rather than the origin's.
    /// </summary>
    public static bool CdnGenerated(int status, string server, string body)
    {
        if (!server.Equals("cloudflare", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (status is >= 520 and <= 530)
        {
            return true;
        }

        return status is 502 or 504
            && (body.Contains("cf-error-details", StringComparison.Ordinal) || body.Contains("cf-wrapper", StringComparison.Ordinal)
                || (body.Contains("cloudflare", StringComparison.OrdinalIgnoreCase) && !body.Contains("<center>nginx", StringComparison.Ordinal)));
    }

    private static async Task<(int Status, string Server, string Ray, string Body)> GetAsync(HttpClient http, Uri url, string? host, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var server = response.Headers.Server.ToString();
        var ray = response.Headers.TryGetValues("cf-ray", out var rays) ? string.Join(",", rays) : "";
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxBody];
        var read = 0;
        while (read < buffer.Length && await stream.ReadAsync(buffer.AsMemory(read), cancellationToken) is var n and > 0)
        {
            read += n;
        }

        return ((int)response.StatusCode, server, ray, Encoding.UTF8.GetString(buffer, 0, read));
    }

    private static string HostOf(string origin)
    {
        var colon = origin.LastIndexOf(':');
        return (colon > 0 ? origin[..colon] : origin).Trim('[', ']');
    }

    private static int PortOf(string origin)
    {
        var colon = origin.LastIndexOf(':');
        return colon > 0 && int.TryParse(origin.AsSpan(colon + 1), out var port) ? port : 80;
    }
}
