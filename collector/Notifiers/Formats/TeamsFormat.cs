using Fleet502.Collector.Api;

namespace Fleet502.Collector.Notifiers.Formats;

/// <summary>
/// Microsoft Teams through a Workflows ("When a Teams webhook request is received") URL: a message
/// with one Adaptive Card, the shape Alertmanager's msteamsv2 sends. TextBlocks set
/// <c>wrap: true</c> (without it Teams cuts them to one line); the card stays far below the ~28 KB
/// at which Teams answers 413.
/// </summary>
internal sealed class TeamsFormat : IWebhookFormat
{
    private const int BlockMax = 4000;

    public string Name => "teams";

    public byte[] Render(string incidentEvent, IncidentJson incident)
    {
        var message = ChatMessage.From(incidentEvent, incident);
        return JsonBody.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "message");
            w.WriteStartArray("attachments");
            w.WriteStartObject();
            w.WriteString("contentType", "application/vnd.microsoft.card.adaptive");
            w.WriteNull("contentUrl");
            w.WriteStartObject("content");
            w.WriteString("$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
            w.WriteString("type", "AdaptiveCard");
            w.WriteString("version", "1.4");
            w.WriteStartArray("body");
            TextBlock(w, $"{message.Emoji} {message.Title}", weight: "Bolder", size: "Medium", color: message.Resolved ? "Good" : "Attention");
            TextBlock(w, message.Summary);
            TextBlock(w, "Fix: " + message.Fix);

            w.WriteStartObject();
            w.WriteString("type", "FactSet");
            w.WriteStartArray("facts");
            foreach (var (name, value) in message.Facts)
            {
                w.WriteStartObject();
                w.WriteString("title", name);
                w.WriteString("value", ChatMessage.Cut(value, 500));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();

            if (message.Evidence.Count > 0)
            {
                TextBlock(w, string.Join("\n\n", message.Evidence), monospace: true);
            }

            w.WriteEndArray();
            w.WriteStartObject("msteams");
            w.WriteString("width", "Full");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static void TextBlock(System.Text.Json.Utf8JsonWriter w, string text, string? weight = null, string? size = null, string? color = null, bool monospace = false)
    {
        w.WriteStartObject();
        w.WriteString("type", "TextBlock");
        w.WriteString("text", ChatMessage.Cut(text, BlockMax));
        w.WriteBoolean("wrap", true);
        if (weight is not null)
        {
            w.WriteString("weight", weight);
        }

        if (size is not null)
        {
            w.WriteString("size", size);
        }

        if (color is not null)
        {
            w.WriteString("color", color);
        }

        if (monospace)
        {
            w.WriteString("fontType", "Monospace");
        }

        w.WriteEndObject();
    }
}
