using System.Collections.Frozen;

namespace Fleet502.Collector.Notifiers.Formats;

/// <summary>Every body format a webhook can be configured with, by name.</summary>
internal static class WebhookFormats
{
    public static FrozenDictionary<string, IWebhookFormat> ByName { get; } = new IWebhookFormat[]
    {
        new GenericFormat(),
        new SlackFormat(),
        new MattermostFormat(),
        new DiscordFormat(),
        new TeamsFormat(),
        new GoogleChatFormat(),
    }.ToFrozenDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);

    public static IReadOnlyList<string> Names { get; } = [.. ByName.Values.Select(f => f.Name)];
}
