using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.NginxErrorLog;

/// <summary>
/// Maps a parsed error.log line to the cause taxonomy, as nginx's source defines it: 502 vs 504
/// comes from the failure type (only nginx's own timer means 504), errno numbers decide connect
/// failures (glibc, musl and BSD texts differ; the numbers are what nginx printed), and body-phase
/// failures cannot change a status that was already sent.
/// </summary>
public static class UpstreamErrorClassifier
{
    public static Classification Classify(in NginxErrorLine line)
    {
        var msg = line.Message;

        // Lines at warn and below never decide a response; client-side phases are not upstream faults.
        if (line.Level is NginxLogLevel.Warn or NginxLogLevel.Notice or NginxLogLevel.Info or NginxLogLevel.Debug)
        {
            return Classification.None;
        }

        if (line.PhaseText.StartsWith("sending to client"u8) || line.PhaseText.SequenceEqual("SSL handshaking"u8)
            || line.PhaseText.StartsWith("reading client"u8))
        {
            return Classification.None;
        }

        if (IsConnectFailure(msg))
        {
            return ClassifyConnectErrno(line.Errno);
        }

        if (msg.StartsWith("upstream timed out"u8))
        {
            return new(Cause.UpstreamTimeout, 504);
        }

        if (msg.StartsWith("no live upstreams"u8))
        {
            return new(Cause.NoLiveUpstreams, 502);
        }

        if (msg.StartsWith("upstream prematurely closed"u8) || msg.StartsWith("upstream closed prematurely"u8))
        {
            return new(Cause.UpstreamCrash, BodyOr(line, 502));
        }

        if (line.Errno is 104 or 54 or 10054 or 32 && IsIoCall(msg) && IsUpstreamPhase(line.Phase))
        {
            return new(Cause.UpstreamCrash, BodyOr(line, 502));
        }

        if (msg.StartsWith("upstream sent too big header"u8))
        {
            return new(Cause.HeaderTooBig, 502);
        }

        if (msg.StartsWith("upstream sent no valid HTTP/1.0 header"u8))
        {
            return new(Cause.Http09Response, 9);
        }

        if (msg.StartsWith("upstream sent duplicate header line: \"Transfer-Encoding"u8)
            || msg.StartsWith("upstream sent \"Content-Length\" and \"Transfer-Encoding\""u8)
            || msg.StartsWith("upstream sent unknown \"Transfer-Encoding\""u8))
        {
            return new(Cause.DuplicateTransferEncoding, 502);
        }

        if (msg.StartsWith("upstream sent invalid"u8) || msg.StartsWith("upstream sent unexpected"u8))
        {
            return new(Cause.InvalidHeader, BodyOr(line, 502));
        }

        if (msg.StartsWith("upstream rejected request with error"u8) || msg.StartsWith("upstream sent frame"u8))
        {
            return new(Cause.GrpcUpstreamError, 502);
        }

        if (msg.IndexOf("could not be resolved"u8) >= 0 || msg.StartsWith("no resolver defined"u8) || msg.StartsWith("host not found in upstream"u8))
        {
            return new(Cause.DnsFailure, line.Level == NginxLogLevel.Emerg ? 0 : 502);
        }

        if (line.Phase == Phase.TlsHandshake || msg.StartsWith("upstream SSL certificate"u8))
        {
            return new(Cause.TlsUpstreamFailure, 502);
        }

        if (msg.StartsWith("socket() failed"u8) && line.Errno is 24 or 23)
        {
            return new(Cause.FdExhaustion, 500);
        }

        if (msg.IndexOf("Primary script unknown"u8) >= 0)
        {
            return new(Cause.FastcgiScriptNotFound, 404);
        }

        // Anything else that names an upstream peer at error level or worse is kept, honestly unknown.
        if (!line.Upstream.IsEmpty && IsUpstreamPhase(line.Phase))
        {
            return new(Cause.Unknown, BodyOr(line, 502));
        }

        return Classification.None;
    }

    private static bool IsConnectFailure(ReadOnlySpan<byte> msg) =>
        msg.StartsWith("connect() failed"u8)
        || (msg.StartsWith("connect() to "u8) && msg.EndsWith(" failed"u8))
        || msg.StartsWith("kevent() reported that connect() failed"u8);

    private static Classification ClassifyConnectErrno(int errno) => errno switch
    {
        111 or 61 or 10061 => new(Cause.BackendDown, 502),
        2 => new(Cause.SocketMissing, 502),
        13 => new(Cause.SocketPermission, 502),
        11 or 35 => new(Cause.BacklogFull, 502),
        110 or 60 or 10060 => new(Cause.ConnectTimeout, 502),
        113 or 101 or 112 or 100 or 65 or 51 or 64 or 10065 or 10051 => new(Cause.HostUnreachable, 502),
        99 or 49 => new(Cause.AddressExhaustion, 502),
        104 or 54 or 10054 => new(Cause.UpstreamCrash, 502),
        _ => new(Cause.Unknown, 502),
    };

    private static bool IsIoCall(ReadOnlySpan<byte> msg) =>
        msg.StartsWith("recv() failed"u8) || msg.StartsWith("readv() failed"u8) || msg.StartsWith("writev() failed"u8)
        || msg.StartsWith("send() failed"u8) || msg.StartsWith("sendfile() failed"u8) || msg.StartsWith("read() failed"u8)
        || msg.StartsWith("write() failed"u8);

    private static bool IsUpstreamPhase(Phase phase) => phase is Phase.Connect or Phase.ReadHeader or Phase.ReadBody
        or Phase.SendRequest or Phase.TlsHandshake;

    // Once headers went to the client, nginx cannot turn the response into a 502.
    private static int BodyOr(in NginxErrorLine line, int status) => line.Phase == Phase.ReadBody ? 200 : status;
}
