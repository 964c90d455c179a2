namespace Fleet502.Collector.Notifiers;

/// <summary>The HTTP client all webhooks share, with one resilience pipeline per webhook name.</summary>
internal static class WebhookHttp
{
    public const string ClientName = "fleet502-webhooks";

    private static readonly HttpRequestOptionsKey<string> WebhookName = new("fleet502.webhook");

    public static void Tag(HttpRequestMessage request, string webhook) => request.Options.Set(WebhookName, webhook);

    /// <summary>The webhook a request is for: selects its pipeline (own circuit breaker) and names it in logs.</summary>
    public static string NameOf(HttpRequestMessage? request) =>
        request is not null && request.Options.TryGetValue(WebhookName, out var name) ? name : "unknown";
}
