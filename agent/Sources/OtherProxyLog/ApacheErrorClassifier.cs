using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.OtherProxyLog;

/// <summary>
/// What an Apache mod_proxy line means (catalogue section 6.3). Apache answers 503, not 502, when it cannot
/// connect; 502 when the backend closed or timed out before a status line (AH01102); 504 when mod_proxy_fcgi
/// timed out dispatching (AH01075 with APR_TIMEUP). Lines of other modules blame nothing.
/// </summary>
public static class ApacheErrorClassifier
{
    private const int AprTimeUp = 70007;
    private const int AprEGeneral = 20014;

    public static Classification Classify(in ApacheErrorLine line)
    {
        var m = line.Message;
        var proxy = line.Module.StartsWith("proxy"u8) || m.StartsWith("proxy: "u8) || m.StartsWith("ap_proxy_"u8) || line.Code != 0;
        if (!proxy || line.Level.SequenceEqual("debug"u8) || line.Level.StartsWith("trace"u8))
        {
            return Classification.None;
        }

        return line.Code switch
        {
            // attempt to connect failed (TCP or unix socket), failed to make connection to backend
            957 or 2454 or 1114 or 1079 => Connect(line.Errno),
            // worker disabled after a failed connect (retry=), then requests fail fast without trying
            959 => new(Cause.BackendDown, 503),
            940 => new(Cause.NoLiveUpstreams, 503),
            // error reading status line: EOF/reset (crash, keep-alive race) or ProxyTimeout, still a 502
            1102 => line.Errno == AprTimeUp ? new(Cause.UpstreamTimeout, 502) : new(Cause.UpstreamCrash, 502),
            898 => m.IndexOf("Corrupt status line"u8) >= 0 ? new(Cause.InvalidHeader, 502) : new(Cause.UpstreamCrash, 502),
            // mod_proxy_fcgi: FPM did not answer in time (often a saturated pool), else 503
            1075 => line.Errno == AprTimeUp ? new(Cause.UpstreamTimeout, 504) : new(Cause.Unknown, 503),
            1067 or 1068 or 1069 or 1070 => new(Cause.ProtocolMismatch, 502),
            1106 => new(Cause.InvalidHeader, 502),
            0 => Apache22(line, m),
            _ => Classification.None,
        };
    }

    private static Classification Apache22(in ApacheErrorLine line, ReadOnlySpan<byte> m)
    {
        if (m.IndexOf("attempt to connect to"u8) >= 0 || m.IndexOf("failed to make connection"u8) >= 0)
        {
            return Connect(line.Errno);
        }

        if (m.IndexOf("disabling worker"u8) >= 0)
        {
            return new(Cause.BackendDown, 503);
        }

        if (m.IndexOf("error reading status line"u8) >= 0)
        {
            return line.Errno == AprTimeUp ? new(Cause.UpstreamTimeout, 502) : new(Cause.UpstreamCrash, 502);
        }

        return Classification.None;
    }

    // errno numbers, not text (glibc, musl and BSD word them differently).
    private static Classification Connect(int errno) => errno switch
    {
        111 or 61 => new(Cause.BackendDown, 503),
        2 => new(Cause.SocketMissing, 503),
        13 => new(Cause.SocketPermission, 503),
        11 => new(Cause.BacklogFull, 503),
        113 or 101 or 65 or 51 => new(Cause.HostUnreachable, 503),
        110 or 60 or AprTimeUp => new(Cause.ConnectTimeout, 503),
        99 or 49 => new(Cause.AddressExhaustion, 503),
        AprEGeneral => new(Cause.Unknown, 503),
        _ => new(Cause.Unknown, 503),
    };
}
