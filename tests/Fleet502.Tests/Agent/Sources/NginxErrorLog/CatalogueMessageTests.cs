using System.Text;
using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Protos.V1;

namespace Fleet502.Tests.Agent.Sources.NginxErrorLog;

/// <summary>Each message of the catalogue (nginx-upstream-errors.md, section 2), as nginx writes it.</summary>
public class CatalogueMessageTests
{
    private const string Connect = "connecting to upstream";
    private const string Header = "reading response header from upstream";
    private const string Body = "reading upstream";
    private const string Send = "sending request to upstream";
    private const string Tls = "SSL handshaking to upstream";
    private const string Http = "http://10.0.0.5:8080/api";
    private const string Fpm = "fastcgi://unix:/run/php/php8.2-fpm.sock:";

    [Theory]
    // 2.2 connect phase
    [InlineData("error", "connect() failed (111: Connection refused)", Connect, Http, Cause.BackendDown, 502)]
    [InlineData("crit", "connect() to unix:/run/php/php8.2-fpm.sock failed (2: No such file or directory)", Connect, Fpm, Cause.SocketMissing, 502)]
    [InlineData("crit", "connect() to unix:/run/php/php8.2-fpm.sock failed (13: Permission denied)", Connect, Fpm, Cause.SocketPermission, 502)]
    [InlineData("error", "connect() to unix:/run/gunicorn.sock failed (11: Resource temporarily unavailable)", Connect, "http://unix:/run/gunicorn.sock:/", Cause.BacklogFull, 502)]
    [InlineData("error", "connect() to unix:/run/php/php8.2-fpm.sock failed (11: Resource temporarily unavailable)", Connect, Fpm, Cause.FpmPoolExhausted, 502)]
    [InlineData("error", "connect() to unix:/run/app.sock failed (111: Connection refused)", Connect, "http://unix:/run/app.sock:/", Cause.BackendDown, 502)]
    [InlineData("crit", "connect() to 10.0.0.5:8080 failed (99: Cannot assign requested address)", Connect, Http, Cause.AddressExhaustion, 502)]
    [InlineData("error", "connect() to [2001:db8::1]:80 failed (101: Network is unreachable)", Connect, "http://[2001:db8::1]:80/", Cause.HostUnreachable, 502)]
    [InlineData("error", "connect() failed (113: No route to host)", Connect, Http, Cause.HostUnreachable, 502)]
    [InlineData("error", "connect() failed (110: Connection timed out)", Connect, Http, Cause.ConnectTimeout, 502)]
    [InlineData("error", "upstream timed out (110: Connection timed out)", Connect, Http, Cause.UpstreamTimeout, 504)]
    [InlineData("error", "kevent() reported that connect() failed (61: Connection refused)", Connect, Http, Cause.BackendDown, 502)]
    [InlineData("error", "connect() failed (10061: No connection could be made because the target machine actively refused it)", Connect, Http, Cause.BackendDown, 502)]
    [InlineData("error", "connect() failed (60: Operation timed out)", Connect, Http, Cause.ConnectTimeout, 502)]
    [InlineData("error", "no live upstreams", Connect, "http://backend/api", Cause.NoLiveUpstreams, 502)]
    [InlineData("warn", "upstream server temporarily disabled", Header, Http, Cause.NoLiveUpstreams, 502)]
    [InlineData("alert", "socket() failed (24: Too many open files)", Connect, Http, Cause.FdExhaustion, 500)]
    [InlineData("crit", "connect() to 0.0.0.1:80 failed (22: Invalid argument)", Connect, "http://0.0.0.1:80/", Cause.NoLiveUpstreams, 502)]
    [InlineData("error", "[lua] balancer.lua:240: balance(): error while setting current upstream peer svc.ns.svc.cluster.local:80: no host allowed", Connect, "", Cause.NoLiveUpstreams, 502)]
    // 2.3 TLS to the upstream
    [InlineData("error", "SSL_do_handshake() failed (SSL: error:1408F10B:SSL routines:ssl3_get_record:wrong version number)", Tls, "https://10.0.0.5:8080/", Cause.TlsUpstreamFailure, 502)]
    [InlineData("error", "SSL_do_handshake() failed (SSL: error:14094410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:SSL alert number 40)", Tls, "https://10.0.0.5:443/", Cause.TlsUpstreamFailure, 502)]
    [InlineData("error", "SSL_do_handshake() failed (SSL: error:14094438:SSL routines:ssl3_read_bytes:tlsv1 alert internal error:SSL alert number 80)", Tls, "https://10.0.0.5:443/", Cause.TlsUpstreamFailure, 502)]
    [InlineData("error", "SSL_do_handshake() failed (SSL: error:14077438:SSL routines:SSL23_GET_SERVER_HELLO:tlsv1 alert internal error)", Tls, "https://10.0.0.5:443/", Cause.TlsUpstreamFailure, 502)]
    [InlineData("error", "peer closed connection in SSL handshake (104: Connection reset by peer)", Tls, "https://10.0.0.5:443/", Cause.TlsUpstreamFailure, 502)]
    [InlineData("error", "upstream SSL certificate verify error: (20:unable to get local issuer certificate)", Tls, "https://10.0.0.5:443/", Cause.TlsUpstreamFailure, 502)]
    [InlineData("error", "upstream SSL certificate does not match \"api.internal\"", Tls, "https://10.0.0.5:443/", Cause.TlsUpstreamFailure, 502)]
    [InlineData("error", "upstream timed out (110: Connection timed out)", Tls, "https://10.0.0.5:443/", Cause.UpstreamTimeout, 504)]
    // 2.4 send phase
    [InlineData("error", "writev() failed (32: Broken pipe)", Send, Http, Cause.UpstreamCrash, 502)]
    [InlineData("error", "send() failed (104: Connection reset by peer)", Send, Http, Cause.UpstreamCrash, 502)]
    [InlineData("error", "upstream timed out (110: Connection timed out)", Send, Http, Cause.UpstreamTimeout, 504)]
    // 2.5 header phase
    [InlineData("error", "upstream prematurely closed connection", Header, Http, Cause.UpstreamCrash, 502)]
    [InlineData("error", "recv() failed (104: Connection reset by peer)", Header, Http, Cause.UpstreamCrash, 502)]
    [InlineData("error", "recv() failed (111: Connection refused)", Header, Http, Cause.BackendDown, 502)]
    [InlineData("error", "upstream timed out (110: Connection timed out)", Header, Http, Cause.UpstreamTimeout, 504)]
    [InlineData("error", "upstream sent too big header", Header, Http, Cause.HeaderTooBig, 502)]
    [InlineData("error", "upstream sent invalid header: \"X-Bad\\x20Name...\"", Header, Http, Cause.InvalidHeader, 502)]
    [InlineData("error", "upstream sent no valid HTTP/1.0 header", Header, Http, Cause.Http09Response, 9)]
    [InlineData("error", "upstream sent HTTP/1.0 response with early hints", Header, Http, Cause.InvalidHeader, 502)]
    [InlineData("error", "upstream sent duplicate header line: \"Transfer-Encoding: chunked\", previous value: \"Transfer-Encoding: chunked\"", Header, Http, Cause.DuplicateTransferEncoding, 502)]
    [InlineData("error", "upstream sent \"Content-Length\" and \"Transfer-Encoding\" headers at the same time", Header, Http, Cause.DuplicateTransferEncoding, 502)]
    [InlineData("error", "upstream sent invalid \"Content-Length\" header: \"Content-Length: 12, 13\"", Header, Http, Cause.DuplicateTransferEncoding, 502)]
    [InlineData("error", "upstream sent unknown \"Transfer-Encoding\": \"gzip\"", Header, Http, Cause.DuplicateTransferEncoding, 502)]
    [InlineData("error", "upstream prematurely sent response", Header, "https://10.0.0.5:443/", Cause.TlsUpstreamFailure, 502)]
    // FastCGI
    [InlineData("error", "FastCGI sent in stderr: \"Primary script unknown\"", Header, Fpm, Cause.FastcgiScriptNotFound, 404)]
    [InlineData("error", "FastCGI sent in stderr: \"Access to the script '/var/www/x.txt' has been denied (see security.limit_extensions)\"", Header, Fpm, Cause.FastcgiScriptNotFound, 403)]
    [InlineData("error", "FastCGI sent in stderr: \"PHP message: PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted\"", Header, Fpm, Cause.UpstreamCrash, 502)]
    [InlineData("error", "upstream prematurely closed FastCGI stdout", Header, Fpm, Cause.UpstreamCrash, 502)]
    [InlineData("error", "upstream prematurely closed FastCGI request", Header, Fpm, Cause.UpstreamCrash, 502)]
    [InlineData("error", "upstream sent unexpected FastCGI record: 3", Header, Fpm, Cause.ProtocolMismatch, 502)]
    [InlineData("error", "upstream sent unsupported FastCGI protocol version: 72", Header, "fastcgi://127.0.0.1:9000", Cause.ProtocolMismatch, 502)]
    [InlineData("error", "upstream sent unsupported FastCGI protocol version: 83", Header, "fastcgi://127.0.0.1:9000", Cause.ProtocolMismatch, 502)]
    [InlineData("error", "upstream sent invalid status \"abc\"", Header, "uwsgi://127.0.0.1:3031", Cause.InvalidHeader, 502)]
    [InlineData("error", "upstream sent too big header", Header, Fpm, Cause.HeaderTooBig, 502)]
    [InlineData("error", "upstream prematurely closed FastCGI request", Body, Fpm, Cause.UpstreamCrash, 200)]
    [InlineData("error", "upstream timed out (110: Connection timed out)", Header, "fastcgi://unix:/run/php/php8.1-fpm.sock", Cause.UpstreamTimeout, 504)]
    // gRPC
    [InlineData("error", "upstream rejected request with error 2", Header, "grpc://10.0.0.5:50051", Cause.GrpcUpstreamError, 502)]
    [InlineData("error", "upstream rejected request with error 0", Header, "grpc://10.0.0.5:50051", Cause.GrpcUpstreamError, 0)]
    [InlineData("error", "upstream rejected request with error 1", Header, "grpc://10.0.0.5:50051", Cause.GrpcUpstreamError, 502)]
    [InlineData("error", "upstream rejected request with error 7", Header, "grpc://10.0.0.5:50051", Cause.GrpcUpstreamError, 502)]
    [InlineData("error", "upstream rejected request with error 8", Header, "grpc://10.0.0.5:50051", Cause.GrpcUpstreamError, 502)]
    [InlineData("error", "upstream prematurely closed stream", Body, "grpc://10.0.0.5:50051", Cause.GrpcUpstreamError, 200)]
    [InlineData("error", "upstream sent goaway with error 0", Header, "grpc://10.0.0.5:50051", Cause.GrpcUpstreamError, 502)]
    [InlineData("error", "upstream sent invalid http2 table index: 67", Header, "grpc://10.0.0.5:50051", Cause.GrpcUpstreamError, 502)]
    [InlineData("error", "upstream prematurely closed stream", Header, "grpc://10.0.0.5:50051", Cause.GrpcUpstreamError, 502)]
    [InlineData("error", "upstream sent frame for closed stream 1", Header, "grpc://10.0.0.5:50051", Cause.GrpcUpstreamError, 502)]
    [InlineData("error", "upstream sent too large http2 frame: 4740180", Header, "grpc://10.0.0.5:50051", Cause.GrpcUpstreamError, 502)]
    [InlineData("error", "upstream violated stream flow control, received 65536 data frame bytes", Header, "grpc://10.0.0.5:50051", Cause.GrpcUpstreamError, 502)]
    // 2.6 body phase: the status was already sent
    [InlineData("error", "upstream prematurely closed connection", Body, Http, Cause.UpstreamCrash, 200)]
    [InlineData("error", "readv() failed (104: Connection reset by peer)", Body, Http, Cause.UpstreamCrash, 200)]
    [InlineData("error", "upstream timed out (110: Connection timed out)", Body, Http, Cause.UpstreamTimeout, 200)]
    [InlineData("error", "upstream sent invalid chunked response", Body, Http, Cause.InvalidHeader, 200)]
    [InlineData("error", "upstream sent unsupported FastCGI protocol version: 0", Body, Fpm, Cause.ProtocolMismatch, 200)]
    // unknown: an nginx-shaped upstream failure no rule explains is kept
    [InlineData("error", "upstream sent something new", Header, Http, Cause.Unknown, 502)]
    [InlineData("crit", "connect() to 10.0.0.5:8080 failed (95: Operation not supported)", Connect, Http, Cause.Unknown, 502)]
    public void Catalogue_message_classifies_to_cause_and_status(string level, string message, string phase, string upstream, Cause cause, int status)
    {
        var upstreamPart = upstream.Length == 0 ? "" : $", upstream: \"{upstream}\"";
        var raw = $"2024/05/01 10:00:00 [{level}] 6#6: *9 {message} while {phase}, client: 1.2.3.4, server: s.example, request: \"GET /api HTTP/1.1\"{upstreamPart}, host: \"s.example\"";

        var classification = Classify(raw);

        Assert.Equal(cause, classification.Cause);
        Assert.Equal(status, classification.Status);
    }

    [Theory]
    [InlineData("2024/05/01 10:00:00 [error] 6#6: *9 could not be resolved (3: Host not found), client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", host: \"s\"", Cause.DnsFailure, 502)]
    [InlineData("2024/05/01 10:00:00 [error] 6#6: *9 api.internal could not be resolved (2: Server failure), client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", host: \"s\"", Cause.DnsFailure, 502)]
    [InlineData("2024/05/01 10:00:00 [error] 6#6: *9 api.internal could not be resolved (5: Operation refused), client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", host: \"s\"", Cause.DnsFailure, 502)]
    [InlineData("2024/05/01 10:00:00 [error] 6#6: *9 api.internal could not be resolved (110: Operation timed out), client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", host: \"s\"", Cause.DnsFailure, 502)]
    [InlineData("2024/05/01 10:00:00 [error] 6#6: *9 no port in upstream \"backend\", client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", host: \"s\"", Cause.Unknown, 500)]
    [InlineData("2024/05/01 10:00:00 [error] 6#6: *9 no resolver defined to resolve api.internal, client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", host: \"s\"", Cause.DnsFailure, 502)]
    [InlineData("2024/05/01 10:00:00 [error] 6#6: unexpected response for api.internal", Cause.DnsFailure, 0)]
    [InlineData("2024/05/01 10:00:00 [error] 6#6: recv() failed (111: Connection refused) while resolving, resolver: 127.0.0.11:53", Cause.DnsFailure, 0)]
    [InlineData("2024/05/01 10:00:00 [emerg] 1#1: host not found in upstream \"app\" in /etc/nginx/conf.d/default.conf:31", Cause.DnsFailure, 0)]
    [InlineData("nginx: [emerg] host not found in upstream \"app:3000\" in /etc/nginx/nginx.conf:12", Cause.DnsFailure, 0)]
    [InlineData("2024/05/01 10:00:00 [error] 6#6: *9 invalid URL prefix in \"backend/api\", client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", host: \"s\"", Cause.Unknown, 500)]
    [InlineData("2024/05/01 10:00:00 [crit] 42#42: accept4() failed (24: Too many open files)", Cause.FdExhaustion, 0)]
    [InlineData("2024/05/01 10:00:00 [alert] 6#6: *9 socket() failed (24: Too many open files) while connecting to upstream, client: 127.0.0.1, server: s, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:80/\", host: \"s\"", Cause.FdExhaustion, 500)]
    // stream (TCP/UDP) proxy: no HTTP status
    [InlineData("2024/05/01 10:00:00 [error] 6#6: *9 connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: 0.0.0.0:3306, upstream: \"10.0.0.9:3306\", bytes from/to client:0/0, bytes from/to upstream:0/0", Cause.BackendDown, 0)]
    [InlineData("2024/05/01 10:00:00 [error] 6#6: *9 upstream timed out (110: Connection timed out) while connecting to upstream, udp client: 1.2.3.4, server: 0.0.0.0:53, upstream: \"10.0.0.9:53\", bytes from/to client:40/0, bytes from/to upstream:0/40", Cause.UpstreamTimeout, 0)]
    public void Catalogue_lines_without_an_upstream_phase(string raw, Cause cause, int status)
    {
        var classification = Classify(raw);

        Assert.Equal(cause, classification.Cause);
        Assert.Equal(status, classification.Status);
    }

    [Theory]
    // 2.7 look-alikes that are not upstream failures
    [InlineData("2024/05/01 10:00:00 [crit] 6#6: *9 SSL_do_handshake() failed (SSL: error:14209102:SSL routines:tls_early_post_process_client_hello:unsupported protocol) while SSL handshaking, client: 1.2.3.4, server: 0.0.0.0:443")]
    [InlineData("2024/05/01 10:00:00 [info] 6#6: *9 SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: 1.2.3.4, server: 0.0.0.0:443")]
    [InlineData("2024/05/01 10:00:00 [error] 6#6: r3.o.lencr.org could not be resolved (110: Operation timed out) while requesting certificate status, responder: r3.o.lencr.org, certificate: \"/etc/ssl/x.pem\"")]
    [InlineData("2024/05/01 10:00:00 [warn] 6#6: *9 upstream sent duplicate header line: \"Date: x\", previous value: \"Date: x\", ignored while reading response header from upstream, client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.5:80/\", host: \"s\"")]
    [InlineData("2024/05/01 10:00:00 [warn] 6#6: *9 an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/1/00/0000000001 while reading upstream, client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.5:80/\", host: \"s\"")]
    [InlineData("2024/05/01 10:00:00 [warn] 6#6: *9 upstream sent more data than specified in \"Content-Length\" header while reading upstream, client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.5:80/\", host: \"s\"")]
    [InlineData("2024/05/01 10:00:00 [error] 6#6: *9 FastCGI sent in stderr: \"PHP message: PHP Notice:  Undefined index: x in /var/www/a.php on line 3\" while reading response header from upstream, client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://127.0.0.1:9000\", host: \"s\"")]
    [InlineData("2024/05/01 10:00:00 [error] 6#6: *9 ANDDOS mime: text/html; charset=utf-8 while reading response header from upstream, client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.5:81/\", host: \"s\"")]
    [InlineData("2024/05/01 10:00:00 [info] 6#6: *9 client prematurely closed connection while reading upstream, client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.5:80/\", host: \"s\"")]
    [InlineData("2024/05/01 10:00:00 [info] 6#6: *9 epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too while sending request to upstream, client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.5:80/\", host: \"s\"")]
    [InlineData("2024/05/01 10:00:00 [error] 6#6: *9 open() \"/usr/share/nginx/html/50x.html\" failed (2: No such file or directory), client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.5:80/\", host: \"s\"")]
    [InlineData("2024/05/01 10:00:00 [debug] 6#6: *9 http finalize request: 502, \"/api?\" a:1, c:1")]
    [InlineData("2024/05/01 10:00:00 [error] 6#6: *9 writev() failed (32: Broken pipe) while sending to client, client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.5:80/\", host: \"s\"")]
    public void Look_alikes_blame_nothing(string raw)
    {
        var classification = Classify(raw);

        Assert.Equal(Cause.Unspecified, classification.Cause);
        Assert.False(classification.Blames);
    }

    private static Classification Classify(string raw)
    {
        Assert.True(NginxErrorLineParser.TryParse(Encoding.UTF8.GetBytes(raw), out var line));
        return UpstreamErrorClassifier.Classify(line);
    }
}
