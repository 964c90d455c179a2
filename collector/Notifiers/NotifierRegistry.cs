using Fleet502.Collector.Notifiers.Formats;
using Microsoft.Extensions.Options;

namespace Fleet502.Collector.Notifiers;

/// <summary>One notifier per configured webhook, found by name.</summary>
internal sealed class NotifierRegistry(IOptions<WebhooksOptions> options, IHttpClientFactory clients)
{
    private readonly Dictionary<string, INotifier> _byName = options.Value.Webhooks
        .ToDictionary(w => w.Name, w => Create(w, clients), StringComparer.Ordinal);

    public bool TryGet(string name, out INotifier notifier) => _byName.TryGetValue(name, out notifier!);

    // Options validation has already rejected unknown formats.
    private static INotifier Create(WebhookOptions webhook, IHttpClientFactory clients) =>
        new WebhookNotifier(webhook, WebhookFormats.ByName[webhook.Format], clients);
}
