using Fleet502.Protos.V1;

namespace Fleet502.Collector.Ingest;

/// <summary>An event with a valid seq, and why it cannot be used (null when it can).</summary>
/// <remarks>
/// A rejected event is still stored (kind <c>rejected</c>) so its seq counts as handled: the agent
/// gets its ack and stops resending it, and the bytes stay for inspection.
/// </remarks>
internal sealed record CheckedEvent(Event Event, string? Rejection)
{
    public bool IsValid => Rejection is null;
}
