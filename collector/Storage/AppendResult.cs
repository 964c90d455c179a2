using Fleet502.Protos.V1;

namespace Fleet502.Collector.Storage;

/// <summary>What one batch did to the store.</summary>
/// <param name="Stored">Valid new events, in seq order: the ones to correlate.</param>
/// <param name="LastSeq">Highest seq now stored for the agent: what to ack.</param>
/// <param name="Duplicates">Events dropped because their seq was already stored.</param>
/// <param name="Rejected">Malformed events stored as <c>rejected</c>.</param>
internal sealed record AppendResult(IReadOnlyList<Event> Stored, ulong LastSeq, int Duplicates, int Rejected);
