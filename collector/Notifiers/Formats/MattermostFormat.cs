using System.Globalization;
using Fleet502.Collector.Api;

namespace Fleet502.Collector.Notifiers.Formats;

/// <summary>
/// Mattermost incoming webhook: Slack-compatible <c>text</c> plus one attachment with a colour bar
/// and fields. A post holds at most 16,383 characters; the evidence is cut to stay well inside.
/// </summary>
internal sealed class MattermostFormat : IWebhookFormat
{
    private const int TextMax = 4000;

    public string Name => "mattermost";

    public byte[] Render(string incidentEvent, IncidentJson incident)
    {
        var message = ChatMessage.From(incidentEvent, incident);
        return JsonBody.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("username", "Fleet502");
            w.WriteString("text", ChatMessage.Cut($"{message.Emoji} **{message.Title}**", TextMax));
            w.WriteStartArray("attachments");
            w.WriteStartObject();
            w.WriteString("fallback", ChatMessage.Cut(message.PlainText, TextMax));
            w.WriteString("color", "#" + message.Color.ToString("X6", CultureInfo.InvariantCulture));
            var evidence = message.Evidence.Count == 0 ? "" : "\n```\n" + string.Join('\n', message.Evidence).Replace("```", "'''", StringComparison.Ordinal) + "\n```";
            w.WriteString("text", ChatMessage.Cut($"{message.Summary}\n**Fix:** {message.Fix}{evidence}", TextMax * 2));
            w.WriteStartArray("fields");
            foreach (var (name, value) in message.Facts)
            {
                w.WriteStartObject();
                w.WriteString("title", name);
                w.WriteString("value", ChatMessage.Cut(value, 500));
                w.WriteBoolean("short", true);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }
}
