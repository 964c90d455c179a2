using Fleet502.Collector.Api;

namespace Fleet502.Collector.Notifiers.Formats;

/// <summary>
/// Google Chat incoming webhook: <c>text</c> (the preview) plus one <c>cardsV2</c> card with a
/// header, the fix and the facts. Messages are at most 32,000 bytes; evidence is cut well below.
/// </summary>
internal sealed class GoogleChatFormat : IWebhookFormat
{
    private const int TextMax = 4000;

    public string Name => "google_chat";

    public byte[] Render(string incidentEvent, IncidentJson incident)
    {
        var message = ChatMessage.From(incidentEvent, incident);
        return JsonBody.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("text", ChatMessage.Cut($"{message.Emoji} {message.Title}", TextMax));
            w.WriteStartArray("cardsV2");
            w.WriteStartObject();
            w.WriteString("cardId", "fleet502-" + incident.Id);
            w.WriteStartObject("card");
            w.WriteStartObject("header");
            w.WriteString("title", ChatMessage.Cut(message.Title, 200));
            w.WriteString("subtitle", ChatMessage.Cut(message.Summary, 400));
            w.WriteEndObject();
            w.WriteStartArray("sections");
            w.WriteStartObject();
            w.WriteStartArray("widgets");
            Paragraph(w, "<b>Fix:</b> " + Html(message.Fix));
            foreach (var (name, value) in message.Facts)
            {
                w.WriteStartObject();
                w.WriteStartObject("decoratedText");
                w.WriteString("topLabel", name);
                w.WriteString("text", Html(ChatMessage.Cut(value, 500)));
                w.WriteEndObject();
                w.WriteEndObject();
            }

            if (message.Evidence.Count > 0)
            {
                Paragraph(w, "<b>Evidence</b><br>" + Html(ChatMessage.Cut(string.Join('\n', message.Evidence), TextMax)).Replace("\n", "<br>", StringComparison.Ordinal));
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    // Card text is a small HTML subset: log lines must not become markup.
    private static string Html(string text) => System.Net.WebUtility.HtmlEncode(text);

    private static void Paragraph(System.Text.Json.Utf8JsonWriter w, string html)
    {
        w.WriteStartObject();
        w.WriteStartObject("textParagraph");
        w.WriteString("text", html);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
