using System.Globalization;
using Fleet502.Collector.Api;
using Fleet502.Collector.Incidents;

namespace Fleet502.Collector.Notifiers.Formats;

/// <summary>
/// What a person reads in chat, whatever the platform: a title that names the cause and the
/// target, the summary, the fix, a few facts and the first evidence lines. Each format lays it out
/// and cuts it to its platform's limits.
/// </summary>
internal sealed record ChatMessage(
    string Title,
    string Summary,
    string Fix,
    IReadOnlyList<(string Name, string Value)> Facts,
    IReadOnlyList<string> Evidence,
    bool Resolved)
{
    /// <summary>Evidence lines shown in chat; the rest is one click away in the API.</summary>
    public const int MaxEvidence = 5;

    // Chat is for the gist: long texts and lists are cut here once, so every format stays small.
    private const int TextMax = 1500;
    private const int FactMax = 300;
    private const int EvidenceLineMax = 400;

    /// <summary>Red while open, green once resolved (hex RGB).</summary>
    public int Color => Resolved ? 0x2EB67D : 0xE01E5A;

    public string Emoji => Resolved ? "✅" : "🔴";

    /// <summary>Title, summary and fix as plain text: the notification preview and the fallback.</summary>
    public string PlainText => $"{Title}\n{Summary}\nFix: {Fix}";

    public static ChatMessage From(string incidentEvent, IncidentJson incident)
    {
        var resolved = incidentEvent == IncidentEvents.Resolved;
        var cause = incident.Cause.Replace('_', ' ');
        var title = resolved
            ? $"Resolved: {cause} at {incident.Target}"
            : $"502 root cause: {cause} at {incident.Target}";
        var facts = new List<(string, string)>
        {
            ("Tier", incident.Tier),
            ("Target host", incident.Host ?? "unknown"),
            ("Seen by", incident.Hosts.Count == 0 ? "-" : string.Join(", ", incident.Hosts)),
            ("Errors", incident.ErrorCount.ToString("N0", CultureInfo.InvariantCulture)),
            ("Confidence", incident.Confidence.ToString("0.##", CultureInfo.InvariantCulture)),
            ("Incident", incident.Id),
        };
        if (incident.Servers.Count > 0)
        {
            facts.Insert(3, ("Server names", string.Join(", ", incident.Servers)));
        }

        if (incident.FlapCount > 0)
        {
            facts.Add(("Re-opened", incident.FlapCount.ToString(CultureInfo.InvariantCulture) + "×"));
        }

        var evidence = incident.Evidence
            .Take(MaxEvidence)
            .Select(e => Cut($"{e.Time:HH:mm:ss} {e.Host}: {e.Text}", EvidenceLineMax))
            .ToList();
        return new ChatMessage(
            Cut(title, TextMax), Cut(incident.Summary, TextMax), Cut(incident.Fix, TextMax),
            [.. facts.Select(f => (f.Item1, Cut(f.Item2, FactMax)))], evidence, resolved);
    }

    /// <summary>Cuts text to at most <paramref name="max"/> characters, marking the cut, without splitting a surrogate pair.</summary>
    public static string Cut(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }

        var end = max - 1;
        if (end > 0 && char.IsHighSurrogate(text[end - 1]))
        {
            end--;
        }

        return string.Concat(text.AsSpan(0, end), "…");
    }
}
