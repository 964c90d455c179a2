using System.Text;
using System.Text.Json;
using Fleet502.Agent;
using Fleet502.Agent.Commands;
using Fleet502.Agent.Sources.NginxAccessLog;
using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Tests.Agent.Sources;
using Fleet502.Tests.Support;

namespace Fleet502.Tests.Agent.Commands;

public class ExplainCommandTests
{
    [Theory]
    [InlineData("nginx_error_lines.jsonl")]
    [InlineData("php_fpm_lines.jsonl")]
    [InlineData("kernel_systemd_lines.jsonl")]
    [InlineData("other_proxy_lines.jsonl")]
    public async Task Explains_every_corpus_line_in_order_with_its_mapped_cause(string file)
    {
        var records = Corpus.Load(file);

        var output = await Explain(string.Join('\n', records.Select(r => r.Line)) + "\n");

        Assert.Equal(records.Count, output.Count);
        for (var i = 0; i < records.Count; i++)
        {
            var json = output[i].RootElement;
            Assert.Equal(i + 1, json.GetProperty("line").GetInt64());
            var label = CorpusLabels.For(records[i].Cause);
            var cause = json.GetProperty("cause");
            if (records[i].Negative == true || label.Cause == Protos.V1.Cause.Unspecified)
            {
                Assert.Equal(JsonValueKind.Null, cause.ValueKind);
            }
            else
            {
                var accepted = new[] { label.Cause, label.AlsoAccepted ?? label.Cause }.Select(CauseNames.Of);
                Assert.Contains(cause.GetString(), accepted);
            }

            var kind = json.GetProperty("kind").GetString();
            var expectedKinds = file switch
            {
                "nginx_error_lines.jsonl" => ["nginx_error"],
                "php_fpm_lines.jsonl" => ["php_fpm"],
                "other_proxy_lines.jsonl" => ["apache_error", "alb_access", "haproxy"],
                _ => new[] { "kernel", "systemd" },
            };
            Assert.Contains(kind, expectedKinds);
        }
    }

    public static TheoryData<string, string?, int, string> AccessCorpus()
    {
        var data = new TheoryData<string, string?, int, string>();
        foreach (var json in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "TestData", "corpus", "access_lines.jsonl")))
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var described = root.GetProperty("log_format").ValueKind == JsonValueKind.String ? root.GetProperty("log_format").GetString()! : "";
            data.Add(root.GetProperty("line").GetString()!, FormatOf(described), root.GetProperty("status").GetInt32(), root.GetProperty("cause").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AccessCorpus))]
    public async Task Every_corpus_access_line_is_explained_with_its_status_and_never_a_wrong_cause(string line, string? format, int status, string label)
    {
        var mapped = CorpusLabels.For(label);

        var json = (await Explain(Encoding.UTF8.GetBytes(line + "\n"), format is null ? null : LogFormat.Parse(format))).Single().RootElement;

        var cause = json.GetProperty("cause");
        if (format is null)
        {
            // Format not known (not in the source): whatever is matched, a 200/404 line blames nothing.
            Assert.Equal(JsonValueKind.Null, cause.ValueKind);
            return;
        }

        Assert.Equal("nginx_access", json.GetProperty("kind").GetString());
        Assert.Equal(status.ToString("000", System.Globalization.CultureInfo.InvariantCulture), json.GetProperty("fields").GetProperty("status").GetString());
        if (status is 502 or 504)
        {
            // An access line alone says "nginx answered 502/504"; only the mapped cause, or unknown (the
            // error log of the same second decides), is an honest answer. Never another cause.
            var name = cause.GetString();
            Assert.True(name == CauseNames.Of(mapped.Cause) || name == "unknown", $"{label}: {name}");
            Assert.Equal(status, json.GetProperty("status").GetInt32());
        }
        else
        {
            Assert.Equal(JsonValueKind.Null, cause.ValueKind);
        }
    }

    // The corpus's log_format descriptions: a name nginx knows, or "description: <format string>".
    private static string? FormatOf(string described)
    {
        if (described.StartsWith("combined", StringComparison.Ordinal))
        {
            return "combined";
        }

        if (described.StartsWith("main", StringComparison.Ordinal))
        {
            return "main";
        }

        var colon = described.IndexOf(": ", StringComparison.Ordinal);
        return colon > 0 && described.Contains('$', StringComparison.Ordinal) && !described.StartsWith("custom", StringComparison.Ordinal)
            ? described[(colon + 2)..]
            : null;
    }

    [Fact]
    public async Task A_bad_line_gets_its_own_object_and_the_stream_goes_on()
    {
        var input = "\n\u0001\u0002 garbage \u00ff\n2024/05/01 10:00:00 [error] 6#6: *9 connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.5:80/\", host: \"s\"";

        var output = await Explain(input);

        Assert.Equal(3, output.Count);
        Assert.Equal("empty", output[0].RootElement.GetProperty("kind").GetString());
        Assert.Equal("unknown", output[1].RootElement.GetProperty("kind").GetString());
        Assert.True(output[1].RootElement.TryGetProperty("error", out _));
        var nginx = output[2].RootElement;
        Assert.Equal("nginx_error", nginx.GetProperty("kind").GetString());
        Assert.Equal("backend_down", nginx.GetProperty("cause").GetString());
        Assert.Equal(502, nginx.GetProperty("status").GetInt32());
        Assert.Equal(111, nginx.GetProperty("errno").GetInt32());
        Assert.Equal("connect", nginx.GetProperty("phase").GetString());
        Assert.Equal("10.0.0.5:80", nginx.GetProperty("target").GetProperty("address").GetString());
    }

    [Fact]
    public async Task Invalid_utf8_bytes_do_not_break_the_json()
    {
        var bytes = "2024/05/01 10:00:00 [error] 6#6: *9 upstream prematurely closed connection while reading response header from upstream, client: 1.2.3.4, server: \xff\xfe, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.5:80/\", host: \"s\"\n"u8.ToArray();

        var output = await Explain(bytes, null);

        Assert.Single(output);
        Assert.Equal("upstream_crash", output[0].RootElement.GetProperty("cause").GetString());
    }

    [Fact]
    public async Task Access_lines_use_the_given_log_format_and_split_upstream_lists()
    {
        var record = Corpus.Load("access_lines.jsonl").Single(r => r.Cause == "upstream_connect_timeout");
        var format = LogFormat.Parse("log_format upstreaminfo '$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id';");

        var output = await Explain(Encoding.UTF8.GetBytes(record.Line), format);

        var json = output.Single().RootElement;
        Assert.Equal("nginx_access", json.GetProperty("kind").GetString());
        Assert.Equal("upstream_timeout", json.GetProperty("cause").GetString());
        Assert.Equal(504, json.GetProperty("status").GetInt32());
        var fields = json.GetProperty("fields");
        Assert.Equal("192.168.215.1:80, 192.168.215.1:80, 192.168.215.1:80", fields.GetProperty("upstream_addr").GetString());
        Assert.Equal("504, 504, 504", fields.GetProperty("upstream_status").GetString());
        Assert.Equal(3, json.GetProperty("upstream_attempts").GetInt32());
    }

    [Fact]
    public async Task Combined_access_lines_are_recognised_without_a_format_even_behind_a_compose_prefix()
    {
        var lines = Corpus.Load("access_lines.jsonl").Where(r => r.Cause is "socket_missing" or "fd_exhaustion" or "grpc_hpack_invalid_header").ToList();

        var output = await Explain(string.Join('\n', lines.Select(l => l.Line)));

        Assert.Equal(lines.Count, output.Count);
        Assert.All(output, o => Assert.Equal("nginx_access", o.RootElement.GetProperty("kind").GetString()));
    }

    [Fact]
    public void The_explain_subcommand_is_wired_into_the_command_line()
    {
        var parse = AgentCommandLine.Build().Parse(["explain", "--file", "/var/log/nginx/error.log", "--log-format", "combined"]);

        Assert.Empty(parse.Errors);
        Assert.Equal("explain", parse.CommandResult.Command.Name);
    }

    [Fact]
    public async Task Running_the_command_on_a_file_prints_json_lines()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fleet502-explain-{Guid.NewGuid():N}.log");
        await File.WriteAllTextAsync(path, "[25-Oct-2021 13:14:08] WARNING: [pool www] child 1 exited on signal 9 (SIGKILL) after 1.0 seconds from start\n");
        try
        {
            var exit = await AgentCommandLine.Build().Parse(["explain", "--file", path]).InvokeAsync();
            Assert.Equal(0, exit);

            var missing = await AgentCommandLine.Build().Parse(["explain", "--file", path + ".missing"]).InvokeAsync();
            Assert.Equal(2, missing);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Task<List<JsonDocument>> Explain(string input) => Explain(Encoding.UTF8.GetBytes(input), null);

    private static async Task<List<JsonDocument>> Explain(byte[] input, LogFormat? format)
    {
        using var output = new MemoryStream();
        var exit = await ExplainCommand.RunAsync(new MemoryStream(input), output, format, CancellationToken.None);
        Assert.Equal(0, exit);
        var text = Encoding.UTF8.GetString(output.ToArray());
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l)).ToList();
    }
}
