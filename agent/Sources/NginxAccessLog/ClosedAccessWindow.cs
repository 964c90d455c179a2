using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>A finished window and the offset of the first line of its period (its event's source offset).</summary>
public readonly record struct ClosedAccessWindow(AccessWindow Window, long FirstOffset);
