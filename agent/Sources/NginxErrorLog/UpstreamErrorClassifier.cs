using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.NginxErrorLog;

/// <summary>
/// Maps a parsed error.log line to the cause taxonomy, following the catalogue taken from nginx's
/// source: 502 vs 504 comes from the failure type (only nginx's own timer means 504), errno numbers
/// decide connect failures (glibc, musl, BSD and Windows texts differ; the numbers are what nginx
/// printed), body-phase failures cannot change a status that was already sent, and stream (TCP/UDP)
/// lines have no HTTP status at all. Look-alikes (client-side TLS, OCSP, warn-level noise, module
/// debug text, PHP notices) blame nothing. Allocation-free: only span comparisons.
/// </summary>
public static class UpstreamErrorClassifier
{
    public static Classification Classify(in NginxErrorLine line)
    {
        var msg = line.Message;
        var phaseText = line.PhaseText;

        // Debug/info/notice lines never decide a response ("http finalize request: 504" is a trace).
        if (line.Level is NginxLogLevel.Debug or NginxLogLevel.Info or NginxLogLevel.Notice)
        {
            return Classification.None;
        }

        // warn: only the max_fails companion matters; buffering and ", ignored" duplicates are noise.
        if (line.Level == NginxLogLevel.Warn)
        {
            return msg.StartsWith("upstream server temporarily disabled"u8)
                ? new(Cause.NoLiveUpstreams, Status(line, 502))
                : Classification.None;
        }

        if (IsLookAlike(msg, phaseText))
        {
            return Classification.None;
        }

        // nginx's own timer, in any phase (connect, TLS, send, read header): 504.
        if (msg.StartsWith("upstream timed out"u8))
        {
            return new(Cause.UpstreamTimeout, Status(line, 504));
        }

        if (msg.StartsWith("no live upstreams"u8) || msg.StartsWith("upstream server temporarily disabled"u8))
        {
            return new(Cause.NoLiveUpstreams, Status(line, 502));
        }

        if (IsConnectFailure(msg))
        {
            return ClassifyConnect(line);
        }

        if (msg.StartsWith("socket() failed"u8))
        {
            // ngx_event_connect_peer returns NGX_ERROR: the client gets 500, not 502.
            return line.Errno switch
            {
                24 or 23 or 10024 => new(Cause.FdExhaustion, Status(line, 500)),
                97 or 47 or 10047 => new(Cause.HostUnreachable, Status(line, 500)),
                _ => new(Cause.Unknown, Status(line, 500)),
            };
        }

        if (IsAcceptFailure(msg))
        {
            // The listening socket could not take the client: no response at all.
            return line.Errno is 24 or 23 or 10024 ? new(Cause.FdExhaustion, 0) : Classification.None;
        }

        if (IsResolverFailure(msg, phaseText, out var resolverStatus))
        {
            return new(Cause.DnsFailure, line.Level == NginxLogLevel.Emerg || resolverStatus == 0 ? 0 : Status(line, 502));
        }

        if (msg.StartsWith("[lua]"u8) || msg.IndexOf("balancer"u8) >= 0)
        {
            return ClassifyLuaBalancer(line);
        }

        if (msg.StartsWith("no port in upstream"u8) || msg.StartsWith("invalid URL prefix"u8) || msg.StartsWith("invalid port in upstream"u8))
        {
            // A variable proxy_pass expanded to a bad URL: 500, nothing upstream is to blame but the config.
            return new(Cause.Unknown, line.Level == NginxLogLevel.Emerg ? 0 : Status(line, 500));
        }

        if (line.Phase == Phase.TlsHandshake || msg.StartsWith("upstream SSL certificate"u8)
            || (msg.StartsWith("SSL_do_handshake() failed"u8) && line.Phase != Phase.Other)
            || msg.StartsWith("peer closed connection in SSL handshake"u8))
        {
            return new(Cause.TlsUpstreamFailure, Status(line, 502));
        }

        if (IsGrpc(line))
        {
            return ClassifyGrpc(line);
        }

        if (msg.StartsWith("FastCGI sent in stderr"u8))
        {
            return ClassifyFastCgiStderr(line);
        }

        if (msg.StartsWith("upstream prematurely closed"u8) || msg.StartsWith("upstream closed prematurely"u8))
        {
            return new(Cause.UpstreamCrash, Status(line, 502));
        }

        if (msg.StartsWith("upstream sent"u8) || msg.StartsWith("upstream prematurely sent"u8))
        {
            return ClassifyUpstreamSent(line);
        }

        if (line.Errno != 0 && IsIoCall(msg) && IsUpstreamPhase(line.Phase))
        {
            return ClassifyIoErrno(line);
        }

        if ((msg.StartsWith("SSL_read() failed"u8) || msg.StartsWith("SSL_write() failed"u8)) && IsUpstreamPhase(line.Phase))
        {
            return new(Cause.TlsUpstreamFailure, Status(line, 502));
        }

        // Kept and counted, never dropped: an nginx-shaped failure (errno, "upstream ...", "xxx() failed")
        // in an upstream phase that no rule explains. Module debug text without that shape is not blamed.
        if (IsUpstreamPhase(line.Phase) && (line.Errno != 0 || msg.StartsWith("upstream "u8) || msg.IndexOf("() failed"u8) >= 0))
        {
            return new(Cause.Unknown, Status(line, 502));
        }

        return Classification.None;
    }

    private static bool IsLookAlike(ReadOnlySpan<byte> msg, ReadOnlySpan<byte> phaseText)
    {
        // Client-side phases: TLS handshakes with clients, reading requests, writing responses.
        if (phaseText.SequenceEqual("SSL handshaking"u8) || phaseText.StartsWith("SSL handshaking,"u8) || phaseText.StartsWith("sending to client"u8)
            || phaseText.StartsWith("reading client"u8) || phaseText.StartsWith("reading PROXY protocol"u8)
            || phaseText.StartsWith("waiting for request"u8) || phaseText.StartsWith("closing request"u8)
            || phaseText.StartsWith("requesting certificate status"u8) || phaseText.StartsWith("sending early hints"u8))
        {
            return true;
        }

        // ", ignored" duplicates are dropped harmlessly; client aborts are 499s; a missing error_page
        // file follows the real upstream error and is not one itself.
        return msg.EndsWith(", ignored"u8) || msg.EndsWith(" ignored"u8)
            || msg.IndexOf("client prematurely closed"u8) >= 0 || msg.IndexOf("client closed"u8) >= 0
            || msg.StartsWith("open() "u8) || msg.StartsWith("an upstream response is buffered"u8)
            || msg.StartsWith("upstream sent more data than specified"u8);
    }

    private static bool IsConnectFailure(ReadOnlySpan<byte> msg) =>
        msg.StartsWith("connect() failed"u8)
        || (msg.StartsWith("connect() to "u8) && (msg.EndsWith(" failed"u8) || msg.IndexOf(" failed"u8) > 0))
        || msg.StartsWith("kevent() reported that connect() failed"u8)
        || msg.StartsWith("epoll_wait() reported that connect() failed"u8);

    private static bool IsAcceptFailure(ReadOnlySpan<byte> msg) =>
        msg.StartsWith("accept4() failed"u8) || msg.StartsWith("accept() failed"u8);

    private static Classification ClassifyConnect(in NginxErrorLine line)
    {
        var status = Status(line, 502);
        var cause = line.Errno switch
        {
            // Refused: nothing listens (TCP) or a stale socket file with no listener (unix). Linux, BSD, Windows.
            111 or 61 or 10061 => Cause.BackendDown,
            // A reset during connect is a firewall REJECT --reject-with tcp-reset: nothing accepted it.
            104 or 54 or 10054 => Cause.BackendDown,
            2 => Cause.SocketMissing,
            13 or 10013 => Cause.SocketPermission,
            11 or 35 or 10035 => IsFpm(line) ? Cause.FpmPoolExhausted : Cause.BacklogFull,
            // connect() failed (110): the kernel gave up on the SYN (SO_ERROR) - 502, unlike nginx's timer.
            110 or 60 or 10060 => Cause.ConnectTimeout,
            113 or 65 or 10065 or 112 or 64 or 101 or 51 or 10051 or 100 or 50 or 10050 => Cause.HostUnreachable,
            // EADDRNOTAVAIL toward an IPv6 peer: the host has no IPv6 source address (AAAA without a route).
            99 or 49 or 10049 => TargetIsIpv6(line) ? Cause.HostUnreachable : Cause.AddressExhaustion,
            98 or 48 or 10048 => Cause.AddressExhaustion,
            // ingress-nginx's placeholder peer 0.0.0.1 when a service has no endpoints.
            22 when TargetsPlaceholder(line) => Cause.NoLiveUpstreams,
            _ => Cause.Unknown,
        };
        return new(cause, status);
    }

    private static Classification ClassifyIoErrno(in NginxErrorLine line)
    {
        var cause = line.Errno switch
        {
            // Reset, broken pipe, aborted: the backend (or something before it) dropped the connection.
            104 or 54 or 10054 or 32 or 103 or 53 or 10053 => Cause.UpstreamCrash,
            // An asynchronous connect failure first seen by recv()/send().
            111 or 61 or 10061 => Cause.BackendDown,
            113 or 65 or 10065 or 112 or 64 or 101 or 51 or 10051 => Cause.HostUnreachable,
            _ => Cause.Unknown,
        };
        return new(cause, Status(line, 502));
    }

    private static bool IsResolverFailure(ReadOnlySpan<byte> msg, ReadOnlySpan<byte> phaseText, out int status)
    {
        status = 502;
        if (msg.StartsWith("no resolver defined"u8) || msg.IndexOf("could not be resolved"u8) >= 0)
        {
            return true;
        }

        // Config-time: nginx does not start (or keeps the old config on reload): no HTTP status.
        if (msg.StartsWith("host not found in upstream"u8) || msg.StartsWith("host not found in resolver"u8))
        {
            status = 0;
            return true;
        }

        // Resolver background noise: no request waits on it directly.
        if (msg.StartsWith("unexpected response for"u8) || msg.StartsWith("wrong ident"u8) || phaseText.StartsWith("resolving"u8))
        {
            status = 0;
            return true;
        }

        return false;
    }

    private static Classification ClassifyLuaBalancer(in NginxErrorLine line)
    {
        var msg = line.Message;
        if (msg.IndexOf("balancer"u8) < 0 && msg.IndexOf("upstream"u8) < 0)
        {
            return Classification.None;
        }

        // Kong: "failed the initial dns/balancer resolve"; the balancer could not resolve the target.
        if (msg.IndexOf("dns"u8) >= 0 || (msg.IndexOf("resolve"u8) >= 0 && msg.IndexOf("name error"u8) >= 0))
        {
            return new(Cause.DnsFailure, Status(line, 502));
        }

        // ingress-nginx "no host allowed", APISIX "failed to pick server": no peer could be chosen.
        if (line.Phase == Phase.Connect || msg.IndexOf("failed to pick"u8) >= 0 || msg.IndexOf("no host allowed"u8) >= 0
            || msg.IndexOf("setting current upstream peer"u8) >= 0)
        {
            return new(Cause.NoLiveUpstreams, Status(line, 502));
        }

        return Classification.None;
    }

    private static bool IsGrpc(in NginxErrorLine line)
    {
        var msg = line.Message;
        if (line.Upstream.StartsWith("grpc://"u8) || line.Upstream.StartsWith("grpcs://"u8))
        {
            return msg.StartsWith("upstream "u8);
        }

        // Messages only the grpc module writes.
        return msg.StartsWith("upstream rejected request with error"u8) || msg.StartsWith("upstream sent goaway"u8)
            || msg.StartsWith("upstream sent frame for"u8) || msg.StartsWith("upstream sent too large http2 frame"u8)
            || msg.StartsWith("upstream violated stream flow control"u8) || msg.StartsWith("upstream prematurely closed stream"u8)
            || (msg.IndexOf("http2"u8) >= 0 && msg.StartsWith("upstream sent"u8))
            || msg.StartsWith("upstream sent invalid trailer"u8) || msg.StartsWith("upstream sent window update"u8)
            || msg.StartsWith("upstream sent settings"u8) || msg.StartsWith("upstream sent rst_stream"u8)
            || msg.StartsWith("upstream sent unexpected http2"u8) || msg.StartsWith("upstream sent headers frame"u8);
    }

    private static Classification ClassifyGrpc(in NginxErrorLine line)
    {
        var msg = line.Message;
        if (msg.StartsWith("upstream timed out"u8))
        {
            return new(Cause.UpstreamTimeout, Status(line, 504));
        }

        // RST_STREAM NO_ERROR: nginx logged it falsely before 1.19.4; not a failure of the exchange.
        if (msg.StartsWith("upstream rejected request with error 0"u8) && msg.Length == "upstream rejected request with error 0"u8.Length)
        {
            return new(Cause.GrpcUpstreamError, 0);
        }

        return new(Cause.GrpcUpstreamError, Status(line, 502));
    }

    private static Classification ClassifyFastCgiStderr(in NginxErrorLine line)
    {
        var msg = line.Message;
        if (msg.IndexOf("Primary script unknown"u8) >= 0)
        {
            return new(Cause.FastcgiScriptNotFound, Status(line, 404));
        }

        if (msg.IndexOf("security.limit_extensions"u8) >= 0)
        {
            return new(Cause.FastcgiScriptNotFound, Status(line, 403));
        }

        // PHP fatals end the request (500 from PHP, 502 once the child dies); notices and warnings do not.
        if (msg.IndexOf("PHP Fatal error"u8) >= 0 || msg.IndexOf("PHP Parse error"u8) >= 0)
        {
            return new(Cause.UpstreamCrash, Status(line, 502));
        }

        return Classification.None;
    }

    private static Classification ClassifyUpstreamSent(in NginxErrorLine line)
    {
        var msg = line.Message;
        if (msg.StartsWith("upstream sent too big header"u8))
        {
            return new(Cause.HeaderTooBig, Status(line, 502));
        }

        // HTTP/0.9 fallback: raw bytes relayed, $status 009 (nginx keeps HTTP/0.9 on purpose).
        if (msg.StartsWith("upstream sent no valid HTTP/1.0 header"u8))
        {
            return new(Cause.Http09Response, Status(line, 9));
        }

        // Framing conflicts, strict since 1.23.0: duplicate / unknown Transfer-Encoding, TE with CL, bad CL.
        if (msg.StartsWith("upstream sent duplicate header line: \"Transfer-Encoding"u8)
            || msg.StartsWith("upstream sent duplicate header line: \"Content-Length"u8)
            || msg.StartsWith("upstream sent \"Content-Length\" and \"Transfer-Encoding\""u8)
            || msg.StartsWith("upstream sent unknown \"Transfer-Encoding\""u8)
            || msg.StartsWith("upstream sent invalid \"Content-Length\""u8)
            || msg.StartsWith("upstream sent duplicate \"Content-Length\""u8))
        {
            return new(Cause.DuplicateTransferEncoding, Status(line, 502));
        }

        // Not a FastCGI peer (72 = 'H', an HTTP server), or a desynchronised FastCGI stream.
        if (msg.IndexOf("FastCGI"u8) >= 0)
        {
            return new(Cause.ProtocolMismatch, Status(line, 502));
        }

        if (msg.StartsWith("upstream prematurely sent response"u8))
        {
            return new(Cause.TlsUpstreamFailure, Status(line, 502));
        }

        // invalid header / status / chunked response, HTTP/1.0 early hints, bad uwsgi/scgi status.
        if (msg.StartsWith("upstream sent invalid"u8) || msg.StartsWith("upstream sent unexpected"u8) || msg.StartsWith("upstream sent HTTP/1.0"u8)
            || msg.StartsWith("upstream sent data after final chunk"u8) || msg.StartsWith("upstream sent duplicate"u8)
            || msg.StartsWith("upstream sent unknown"u8) || msg.StartsWith("upstream sent response"u8))
        {
            return new(Cause.InvalidHeader, Status(line, 502));
        }

        return new(Cause.Unknown, Status(line, 502));
    }

    private static bool IsIoCall(ReadOnlySpan<byte> msg) =>
        msg.StartsWith("recv() failed"u8) || msg.StartsWith("readv() failed"u8) || msg.StartsWith("writev() failed"u8)
        || msg.StartsWith("send() failed"u8) || msg.StartsWith("sendfile() failed"u8) || msg.StartsWith("read() failed"u8)
        || msg.StartsWith("write() failed"u8) || msg.StartsWith("sendmsg() failed"u8) || msg.StartsWith("recvmsg() failed"u8)
        || msg.StartsWith("WSARecv() failed"u8) || msg.StartsWith("WSASend() failed"u8)
        || msg.StartsWith("kevent() reported about an closed connection"u8) || msg.StartsWith("epoll_wait() reported"u8);

    private static bool IsUpstreamPhase(Phase phase) => phase is Phase.Connect or Phase.ReadHeader or Phase.ReadBody
        or Phase.SendRequest or Phase.TlsHandshake;

    private static bool IsFpm(in NginxErrorLine line)
    {
        // A full FPM socket backlog means every child is busy: the pool, not a generic backlog, is the cause.
        if (line.Upstream.StartsWith("fastcgi://"u8))
        {
            return true;
        }

        var msg = line.Message;
        return msg.IndexOf("fpm"u8) >= 0 || msg.IndexOf("php"u8) >= 0 || line.Upstream.IndexOf("fpm"u8) >= 0;
    }

    private static bool TargetIsIpv6(in NginxErrorLine line) =>
        line.Message.StartsWith("connect() to ["u8) || line.Upstream.IndexOf("://["u8) >= 0;

    private static bool TargetsPlaceholder(in NginxErrorLine line) =>
        line.Message.StartsWith("connect() to 0.0.0.1:"u8) || line.Upstream.IndexOf("://0.0.0.1:"u8) >= 0;

    // Stream lines have no HTTP response; once headers went to the client nginx cannot send a 502.
    private static int Status(in NginxErrorLine line, int status) =>
        line.IsStream ? 0 : line.Phase == Phase.ReadBody ? 200 : status;
}
