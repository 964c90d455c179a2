using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.OtherProxyLog;

/// <summary>
/// What HAProxy's termination state says (catalogue section 6.2): the first character is who ended the
/// session (S server, s server timeout, P/R HAProxy itself, C/c the client), the second in which phase
/// (C connect, H headers, D data, Q queue). Client aborts and locally handled requests blame nothing.
/// </summary>
public static class HaproxyClassifier
{
    public static Classification Classify(in HaproxyLine line)
    {
        var tsc = line.TerminationState;
        if (tsc.Length < 2)
        {
            return Classification.None;
        }

        var status = line.Status;
        if (line.Server.SequenceEqual("<NOSRV>"u8) && status == 503)
        {
            return new(Cause.NoLiveUpstreams, status);
        }

        return (tsc[0], tsc[1]) switch
        {
            ((byte)'S', (byte)'C') => new(Cause.BackendDown, status),
            ((byte)'s', (byte)'C') => new(Cause.UpstreamTimeout, status),
            ((byte)'S', (byte)'H') => new(Cause.UpstreamCrash, status),
            ((byte)'s', (byte)'H') => new(Cause.UpstreamTimeout, status),
            // Data phase: the status was already sent, the body is cut.
            ((byte)'S', (byte)'D') => new(Cause.UpstreamCrash, status),
            ((byte)'s', (byte)'D') => new(Cause.UpstreamTimeout, status),
            // Expired in HAProxy's queue: every server at maxconn.
            ((byte)'s', (byte)'Q') => new(Cause.BacklogFull, status),
            ((byte)'P', (byte)'H') => new(Cause.InvalidHeader, status),
            ((byte)'P', (byte)'C') => new(Cause.FdExhaustion, status),
            ((byte)'R', (byte)'C') => new(Cause.AddressExhaustion, status),
            _ => Classification.None,
        };
    }
}
