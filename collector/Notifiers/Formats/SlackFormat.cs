using System.Text;
using System.Text.Json;
using Fleet502.Collector.Api;

namespace Fleet502.Collector.Notifiers.Formats;

/// <summary>
/// Slack incoming webhook: <c>text</c> (the notification preview) plus Block Kit blocks. Limits
/// kept: header 150 characters, section text 3,000, at most 10 fields; the whole message stays far
/// below the ~13k block characters where Slack starts answering <c>msg_blocks_too_long</c>.
/// </summary>
internal sealed class SlackFormat : IWebhookFormat
{
    private const int HeaderMax = 150;
    private const int SectionMax = 3000;
    private const int MaxFields = 10;

    public string Name => "slack";

    public byte[] Render(string incidentEvent, IncidentJson incident)
    {
        var message = ChatMessage.From(incidentEvent, incident);
        return JsonBody.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("text", ChatMessage.Cut($"{message.Emoji} {message.Title}: {message.Summary}", SectionMax));
            w.WriteStartArray("blocks");

            w.WriteStartObject();
            w.WriteString("type", "header");
            PlainText(w, ChatMessage.Cut($"{message.Emoji} {message.Title}", HeaderMax));
            w.WriteEndObject();

            Section(w, $"{Escape(message.Summary)}\n*Fix:* {Escape(message.Fix)}");

            w.WriteStartObject();
            w.WriteString("type", "section");
            w.WriteStartArray("fields");
            foreach (var (name, value) in message.Facts.Take(MaxFields))
            {
                w.WriteStartObject();
                w.WriteString("type", "mrkdwn");
                w.WriteString("text", ChatMessage.Cut($"*{Escape(name)}*\n{Escape(value)}", 2000));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();

            if (message.Evidence.Count > 0)
            {
                // Code blocks keep log lines verbatim; ``` inside a line would end the block early.
                var lines = string.Join('\n', message.Evidence).Replace("```", "'''", StringComparison.Ordinal);
                Section(w, "*Evidence*\n```" + ChatMessage.Cut(Escape(lines), SectionMax - 20) + "```");
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>Slack's mrkdwn needs only these three escaped; a log line could otherwise ping a channel (&lt;!channel&gt;).</summary>
    internal static string Escape(string text) =>
        new StringBuilder(text).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").ToString();

    private static void Section(Utf8JsonWriter w, string mrkdwn)
    {
        w.WriteStartObject();
        w.WriteString("type", "section");
        w.WriteStartObject("text");
        w.WriteString("type", "mrkdwn");
        w.WriteString("text", ChatMessage.Cut(mrkdwn, SectionMax));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void PlainText(Utf8JsonWriter w, string text)
    {
        w.WriteStartObject("text");
        w.WriteString("type", "plain_text");
        w.WriteString("text", text);
        w.WriteEndObject();
    }
}
