using Fleet502.Diagnosis;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Diagnosis;

/// <summary>Everything one scan of this host found: its state for the rules, the failures of the logs, the traffic.</summary>
/// <param name="Host">This host's state, as the collector would hold it.</param>
/// <param name="Errors">One UpstreamError event per (cause, target) of the recent error log lines.</param>
/// <param name="Traffic">Recent access-log traffic per upstream.</param>
/// <param name="Checks">Every check, in the order it ran.</param>
public sealed record LocalScan(
    HostState Host,
    IReadOnlyList<Event> Errors,
    IReadOnlyCollection<AccessTraffic> Traffic,
    IReadOnlyList<DoctorCheck> Checks);
