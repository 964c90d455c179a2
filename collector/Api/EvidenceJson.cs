namespace Fleet502.Collector.Api;

internal sealed record EvidenceJson(DateTime Time, string Host, string Source, string Text);
