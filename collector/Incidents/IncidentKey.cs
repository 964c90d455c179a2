using Fleet502.Protos.V1;

namespace Fleet502.Collector.Incidents;

/// <summary>
/// What makes two symptoms one incident: the cause and the target. A loopback address or a unix
/// socket means a different thing on every host, so for those the owning agent is part of the key;
/// for any other address it is null, and many load balancers hitting one backend share an incident.
/// </summary>
internal readonly record struct IncidentKey(Cause Cause, string Target, string? LocalTo);
