using System.Diagnostics.Metrics;

namespace Fleet502.Collector.Ingest;

/// <summary>Counters for what came in over the stream, so bad input is visible without reading logs.</summary>
internal sealed class IngestMetrics
{
    public const string MeterName = "Fleet502.Collector";

    private readonly Counter<long> _stored;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _skippedMessages;

    public IngestMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _stored = meter.CreateCounter<long>("fleet502.collector.events.stored", "{event}", "Events stored");
        _duplicates = meter.CreateCounter<long>("fleet502.collector.events.duplicate", "{event}", "Events dropped as already stored (seq <= last seq)");
        _rejected = meter.CreateCounter<long>("fleet502.collector.events.rejected", "{event}", "Malformed events skipped");
        _skippedMessages = meter.CreateCounter<long>("fleet502.collector.messages.skipped", "{message}", "Stream messages that were neither Hello first nor a batch");
    }

    public void Stored(long count) => _stored.Add(count);

    public void Duplicates(long count) => _duplicates.Add(count);

    public void Rejected(long count) => _rejected.Add(count);

    public void SkippedMessage() => _skippedMessages.Add(1);
}
