using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.OtherProxyLog;

/// <summary>
/// What an ALB entry says about a 5xx (catalogue section 6.1): with <c>target_status_code</c> <c>-</c> the ALB made
/// the error itself and the timings tell why; with a 5xx from the target, the target (e.g. nginx) made it and
/// its own logs hold the cause.
/// </summary>
public static class AlbAccessClassifier
{
    public static Classification Classify(in AlbAccessLine line)
    {
        var status = line.ElbStatus;
        if (status is < 500 or > 599)
        {
            // 460/463/561 are the client's or an auth action's; 464 is a protocol mismatch with the target group.
            return status == 464 ? new(Cause.ProtocolMismatch, 464) : Classification.None;
        }

        if (line.TargetStatus != 0)
        {
            // The target answered 5xx itself: blame is one tier further back.
            return line.TargetStatus is 502 or 504 ? new(Cause.Unknown, status) : Classification.None;
        }

        if (line.Target.SequenceEqual("-"u8))
        {
            // No target chosen: no registered or healthy targets.
            return new(Cause.NoLiveUpstreams, status);
        }

        return status switch
        {
            // Dispatched, then "-1" for the response: the target closed (FIN/RST) with a request outstanding,
            // the keep-alive race (target keep-alive shorter than the ALB idle timeout).
            502 when line.TargetProcessingTime >= 0 && line.ResponseProcessingTime < 0 => new(Cause.UpstreamCrash, 502),
            // Could not dispatch at all: refused (RST on connect) or ICMP unreachable.
            502 when line.TargetProcessingTime < 0 => new(Cause.BackendDown, 502),
            504 => new(Cause.UpstreamTimeout, 504),
            503 => new(Cause.NoLiveUpstreams, 503),
            _ => new(Cause.Unknown, status),
        };
    }
}
