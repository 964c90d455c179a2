using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleet502.Tests.Support;

/// <summary>One labelled real log line from TestData/corpus (see its README for the sources).</summary>
public sealed record CorpusRecord(
    [property: JsonPropertyName("line")] string Line,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("cause")] string Cause,
    [property: JsonPropertyName("status")] int? Status,
    [property: JsonPropertyName("negative")] bool? Negative,
    [property: JsonPropertyName("truncated")] bool? Truncated,
    [property: JsonPropertyName("mangled")] bool? Mangled)
{
    public override string ToString() => $"{Cause} ({Source})";
}

public static class Corpus
{
    public static IReadOnlyList<CorpusRecord> Load(string file) =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "TestData", "corpus", file))
            .Where(l => !string.IsNullOrWhiteSpace(l))
            .Select(l => JsonSerializer.Deserialize<CorpusRecord>(l)!)
            .ToList();

    public static TheoryData<CorpusRecord> NginxErrors(params string[] causes)
    {
        var data = new TheoryData<CorpusRecord>();
        foreach (var record in Load("nginx_error_lines.jsonl").Where(r => causes.Contains(r.Cause)))
        {
            data.Add(record);
        }

        return data;
    }
}
