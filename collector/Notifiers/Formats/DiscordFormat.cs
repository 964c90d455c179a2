using Fleet502.Collector.Api;

namespace Fleet502.Collector.Notifiers.Formats;

/// <summary>
/// Discord execute-webhook: one embed. Limits kept: title 256, description 4,096, at most 25 fields
/// (name 256, value 1,024), and 6,000 characters over the whole embed. <c>allowed_mentions</c> is
/// empty so that "@everyone" in a logged request line pings nobody.
/// </summary>
internal sealed class DiscordFormat : IWebhookFormat
{
    private const int TitleMax = 256;
    private const int DescriptionMax = 4096;
    private const int FieldValueMax = 1024;
    private const int EmbedMax = 6000;

    public string Name => "discord";

    public byte[] Render(string incidentEvent, IncidentJson incident)
    {
        var message = ChatMessage.From(incidentEvent, incident);
        var title = ChatMessage.Cut($"{message.Emoji} {message.Title}", TitleMax);
        var fields = message.Facts.Select(f => (Name: ChatMessage.Cut(f.Name, 256), Value: ChatMessage.Cut(f.Value, FieldValueMax))).Take(25).ToList();
        var used = title.Length + fields.Sum(f => f.Name.Length + f.Value.Length);
        var evidence = message.Evidence.Count == 0 ? "" : "\n**Evidence**\n```\n" + string.Join('\n', message.Evidence).Replace("```", "'''", StringComparison.Ordinal) + "\n```";
        var description = ChatMessage.Cut($"{message.Summary}\n**Fix:** {message.Fix}{evidence}", Math.Min(DescriptionMax, EmbedMax - used));
        return JsonBody.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("username", "Fleet502");
            w.WriteStartObject("allowed_mentions");
            w.WriteStartArray("parse");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartArray("embeds");
            w.WriteStartObject();
            w.WriteString("title", title);
            w.WriteString("description", description);
            w.WriteNumber("color", message.Color);
            w.WriteString("timestamp", (message.Resolved ? incident.ResolvedAt ?? incident.LastSeen : incident.FirstSeen).ToString("O"));
            w.WriteStartArray("fields");
            foreach (var (name, value) in fields)
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteString("value", value);
                w.WriteBoolean("inline", true);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }
}
