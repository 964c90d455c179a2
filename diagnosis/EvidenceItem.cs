namespace Fleet502.Diagnosis;

/// <summary>One link of an evidence chain: a raw log line, or a statement about a host's state.</summary>
/// <param name="Time">When the line was logged or the state was sampled.</param>
/// <param name="Host">Hostname the evidence comes from.</param>
/// <param name="Source">Where it was read: a log path, or <c>listeners</c> for a socket snapshot.</param>
/// <param name="Text">The raw line, or a sentence such as "web-1: nothing listens on 127.0.0.1:3000".</param>
public sealed record EvidenceItem(DateTimeOffset Time, string Host, string Source, string Text);
