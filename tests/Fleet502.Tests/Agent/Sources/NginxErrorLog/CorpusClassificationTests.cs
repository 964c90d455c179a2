using System.Text;
using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Protos.V1;
using Fleet502.Tests.Support;

namespace Fleet502.Tests.Agent.Sources.NginxErrorLog;

public class CorpusClassificationTests
{
    public static TheoryData<CorpusRecord> AllErrorLines()
    {
        var data = new TheoryData<CorpusRecord>();
        foreach (var record in Corpus.Load("nginx_error_lines.jsonl"))
        {
            data.Add(record);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllErrorLines))]
    public void Every_corpus_error_line_classifies_to_its_mapped_cause_and_status(CorpusRecord record)
    {
        var label = CorpusLabels.For(record.Cause);

        Assert.True(NginxErrorLineParser.TryParse(Encoding.UTF8.GetBytes(record.Line), out var line));
        var classification = UpstreamErrorClassifier.Classify(line);

        if (record.Negative == true || label.Cause == Cause.Unspecified)
        {
            Assert.Equal(Cause.Unspecified, classification.Cause);
            Assert.False(classification.Blames);
            return;
        }

        Assert.True(label.Accepts(classification.Cause), $"{record.Cause}: expected {label.Cause}, got {classification.Cause}");
        if (!label.StatusNeedsContext)
        {
            // null in the corpus: no HTTP response (config time, stream proxy, resolver background).
            Assert.Equal(record.Status ?? 0, classification.Status);
        }
    }

    // The nginx error-line vocabulary of the whole collection (corpus README), held-aside half included.
    private static readonly string[] CollectionVocabulary =
    [
        "backend_down_conn_refused",
        "socket_missing",
        "permission_denied_socket",
        "stale_socket_no_listener",
        "backlog_full_eagain",
        "fpm_pool_exhausted",
        "no_live_upstreams",
        "peer_marked_down_max_fails",
        "host_unreachable",
        "network_unreachable",
        "ipv6_unusable",
        "cannot_assign_requested_address",
        "kernel_connect_timeout",
        "upstream_connect_timeout",
        "localhost_ipv6_first_then_retry",
        "wrong_server_block_routing",
        "no_endpoints_k8s",
        "fd_exhaustion",
        "proxy_loop_fd_exhaustion",
        "dns_resolve_failure",
        "no_resolver_defined",
        "config_host_not_found_startup",
        "dns_resolver_noise",
        "ssl_upstream_handshake",
        "ssl_upstream_verify",
        "upstream_premature_close",
        "upstream_crash_premature_close",
        "upstream_keepalive_race",
        "conn_reset",
        "upstream_timeout",
        "header_too_big",
        "invalid_header",
        "invalid_status_line_http09",
        "duplicate_transfer_encoding",
        "content_length_and_transfer_encoding",
        "grpc_hpack_invalid_header",
        "grpc_stream_reset",
        "grpc_stream_reset_noerror",
        "fastcgi_script_not_found",
        "fastcgi_unexpected_record",
        "fastcgi_empty_stdout_php_fatal",
        "php_fatal_error",
        "protocol_mismatch_fastcgi_to_http",
        "protocol_mismatch_fastcgi_to_other",
        "fastcgi_stream_corruption_keepalive",
        "upstream_reset_mid_body",
        "upstream_premature_close_mid_body",
        "invalid_chunked_body",
        "not_upstream_client_tls",
        "not_upstream_ocsp_resolver",
        "third_party_module_noise",
        "fastcgi_stderr_noise",
        "buffering_warning_noise",
        "duplicate_header_ignored_noise",
        "debug_finalize",
    ];

    [Fact]
    public void Every_label_of_the_whole_collection_has_a_mapping()
    {
        Assert.All(CollectionVocabulary, l => Assert.Contains(l, CorpusLabels.Labels));

        var used = new[] { "nginx_error_lines.jsonl", "php_fpm_lines.jsonl", "kernel_systemd_lines.jsonl", "other_proxy_lines.jsonl", "access_lines.jsonl" }
            .SelectMany(Corpus.Load).Select(r => r.Cause);
        Assert.All(used, l => Assert.Contains(l, CorpusLabels.Labels));
    }
}
