using Fleet502.Protos.V1;

namespace Fleet502.Tests.Agent.Sources;

/// <summary>
/// The one table from the corpus's fine-grained labels (TestData/corpus/README.md) onto the cause
/// taxonomy of causes.proto. Covers every label of the whole collection, including the half held
/// aside, so a new line with a known label needs no new mapping.
/// </summary>
public static class CorpusLabels
{
    private static readonly Dictionary<string, CorpusLabel> Map = new(StringComparer.Ordinal)
    {
        // nginx, connection phase
        ["backend_down_conn_refused"] = new(Cause.BackendDown),
        ["socket_missing"] = new(Cause.SocketMissing),
        ["permission_denied_socket"] = new(Cause.SocketPermission),
        ["stale_socket_no_listener"] = new(Cause.BackendDown),
        ["backlog_full_eagain"] = new(Cause.BacklogFull),
        // EAGAIN on an FPM socket is the pool at max_children; a read timeout toward FPM looks the same
        // whether the pool is saturated or one script is slow: only FPM's own log decides.
        ["fpm_pool_exhausted"] = new(Cause.FpmPoolExhausted, AlsoAccepted: Cause.UpstreamTimeout),
        ["no_live_upstreams"] = new(Cause.NoLiveUpstreams),
        ["peer_marked_down_max_fails"] = new(Cause.NoLiveUpstreams),
        ["host_unreachable"] = new(Cause.HostUnreachable),
        ["network_unreachable"] = new(Cause.HostUnreachable),
        ["ipv6_unusable"] = new(Cause.HostUnreachable),
        ["cannot_assign_requested_address"] = new(Cause.AddressExhaustion),
        ["kernel_connect_timeout"] = new(Cause.ConnectTimeout),
        ["upstream_connect_timeout"] = new(Cause.UpstreamTimeout),
        // The IPv6 attempt was refused and IPv4 then answered: the line cannot know the retry succeeded.
        ["localhost_ipv6_first_then_retry"] = new(Cause.BackendDown, StatusNeedsContext: true),
        // The request hit another server block whose upstream does not answer: the line shows a refused connect.
        ["wrong_server_block_routing"] = new(Cause.BackendDown, AlsoAccepted: Cause.PortMismatch),
        ["no_endpoints_k8s"] = new(Cause.NoLiveUpstreams),
        ["fd_exhaustion"] = new(Cause.FdExhaustion),
        ["proxy_loop_fd_exhaustion"] = new(Cause.FdExhaustion),
        // name resolution
        ["dns_resolve_failure"] = new(Cause.DnsFailure),
        ["no_resolver_defined"] = new(Cause.DnsFailure),
        ["config_host_not_found_startup"] = new(Cause.DnsFailure),
        ["dns_resolver_noise"] = new(Cause.DnsFailure),
        // TLS to the upstream
        ["ssl_upstream_handshake"] = new(Cause.TlsUpstreamFailure),
        ["ssl_upstream_verify"] = new(Cause.TlsUpstreamFailure),
        // header phase
        ["upstream_premature_close"] = new(Cause.UpstreamCrash),
        ["upstream_crash_premature_close"] = new(Cause.UpstreamCrash),
        ["upstream_keepalive_race"] = new(Cause.UpstreamCrash),
        ["conn_reset"] = new(Cause.UpstreamCrash),
        ["upstream_timeout"] = new(Cause.UpstreamTimeout),
        ["header_too_big"] = new(Cause.HeaderTooBig),
        ["invalid_header"] = new(Cause.InvalidHeader),
        ["invalid_status_line_http09"] = new(Cause.Http09Response),
        ["duplicate_transfer_encoding"] = new(Cause.DuplicateTransferEncoding),
        ["content_length_and_transfer_encoding"] = new(Cause.DuplicateTransferEncoding),
        ["grpc_hpack_invalid_header"] = new(Cause.GrpcUpstreamError),
        ["grpc_stream_reset"] = new(Cause.GrpcUpstreamError),
        ["grpc_stream_reset_noerror"] = new(Cause.GrpcUpstreamError),
        // FastCGI
        ["fastcgi_script_not_found"] = new(Cause.FastcgiScriptNotFound),
        ["fastcgi_unexpected_record"] = new(Cause.ProtocolMismatch),
        ["fastcgi_empty_stdout_php_fatal"] = new(Cause.UpstreamCrash),
        ["php_fatal_error"] = new(Cause.UpstreamCrash),
        ["protocol_mismatch_fastcgi_to_http"] = new(Cause.ProtocolMismatch),
        ["protocol_mismatch_fastcgi_to_other"] = new(Cause.ProtocolMismatch),
        ["fastcgi_stream_corruption_keepalive"] = new(Cause.ProtocolMismatch),
        // body phase (status already sent)
        ["upstream_reset_mid_body"] = new(Cause.UpstreamCrash),
        ["upstream_premature_close_mid_body"] = new(Cause.UpstreamCrash),
        ["invalid_chunked_body"] = new(Cause.InvalidHeader),
        // negatives and noise: blame nothing
        ["not_upstream_client_tls"] = new(Cause.Unspecified),
        ["not_upstream_ocsp_resolver"] = new(Cause.Unspecified),
        ["third_party_module_noise"] = new(Cause.Unspecified),
        ["fastcgi_stderr_noise"] = new(Cause.Unspecified),
        ["buffering_warning_noise"] = new(Cause.Unspecified),
        ["duplicate_header_ignored_noise"] = new(Cause.Unspecified),
        ["debug_finalize"] = new(Cause.Unspecified),
        // php-fpm
        ["fpm_child_crash_loop"] = new(Cause.Unspecified), // "child N started": the companion, not the crash
        ["fpm_child_sigkill"] = new(Cause.UpstreamCrash),
        // Same line as an OOM kill; only the kernel log tells a scale-down SIGKILL apart.
        ["fpm_child_sigkill_scale_down"] = new(Cause.UpstreamCrash),
        ["fpm_config_error_not_started"] = new(Cause.BackendDown),
        ["fpm_request_terminate_timeout"] = new(Cause.UpstreamCrash),
        // kernel and systemd
        ["oom_kill"] = new(Cause.UpstreamCrash),
        ["oom_kill_memcg"] = new(Cause.UpstreamCrash),
        ["oom_kill_unit_failed"] = new(Cause.UpstreamCrash),
        // other proxies (Apache, HAProxy, ALB) and access-log controls
        // ALB "-1" response time with no target status: the target closed the kept-alive connection mid-request.
        ["target_closed_keepalive"] = new(Cause.UpstreamCrash),
        ["healthy_control"] = new(Cause.Unspecified),
    };

    public static IReadOnlyCollection<string> Labels => Map.Keys;

    public static CorpusLabel For(string label) =>
        Map.TryGetValue(label, out var mapped)
            ? mapped
            : throw new KeyNotFoundException($"corpus label '{label}' has no taxonomy mapping in CorpusLabels");
}
