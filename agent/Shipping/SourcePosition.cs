using Fleet502.Agent.Platform;

namespace Fleet502.Agent.Shipping;

/// <summary>The line an event was read from: its acknowledgement releases this offset in <see cref="Tailing.PendingOffsets"/>.</summary>
public readonly record struct SourcePosition(FileIdentity File, uint Generation, long Offset);
