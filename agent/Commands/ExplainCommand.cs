using System.Buffers;
using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Fleet502.Agent.Sources.KernelLog;
using Fleet502.Agent.Sources.NginxAccessLog;
using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Agent.Sources.OtherProxyLog;
using Fleet502.Agent.Sources.PhpFpmLog;

namespace Fleet502.Agent.Commands;

/// <summary>
/// <c>fleet502-agent explain [--file F] [--log-format '...']</c>: one JSON object per input line (JSON Lines,
/// same order) with the detected <c>kind</c>, the parsed fields and the <c>cause</c>, so a user can check
/// what the agent understands of their own logs. A bad line never stops it: its object says why.
/// Written with Utf8JsonWriter (no reflection: NativeAOT-clean).
/// </summary>
public static class ExplainCommand
{
    private const int MaxLineBytes = 1024 * 1024;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Log lines are for humans: keep quotes and non-ASCII readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = false,
    };

    public static Command Create()
    {
        var file = new Option<string?>("--file", "-f") { Description = "Read lines from this file instead of standard input" };
        var logFormat = new Option<string?>("--log-format")
        {
            Description = "nginx log_format for access lines: 'combined', 'main', a format string, or a whole "
                + "\"log_format name [escape=json] '...';\" directive (without it, combined and main are tried)",
        };
        var command = new Command("explain", "Explain log lines (nginx error/access, php-fpm, kernel, systemd, Apache mod_proxy, HAProxy, AWS ALB) as JSON Lines")
        {
            file,
            logFormat,
        };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file);
            LogFormat? format;
            try
            {
                format = parse.GetValue(logFormat) is { } f ? LogFormat.Parse(f) : null;
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"fleet502-agent explain: invalid --log-format: {e.Message}");
                return 2;
            }

            Stream input;
            try
            {
                input = path is null ? Console.OpenStandardInput() : File.OpenRead(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"fleet502-agent explain: cannot read {path}: {e.Message}");
                return 2;
            }

            await using (input)
            await using (var output = Console.OpenStandardOutput())
            {
                return await RunAsync(input, output, format, ct);
            }
        });
        return command;
    }

    /// <summary>Explains every line of <paramref name="input"/> into <paramref name="output"/>; returns the exit code.</summary>
    public static async Task<int> RunAsync(Stream input, Stream output, LogFormat? format, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var formats = format is not null ? [format] : new[] { LogFormat.Parse("main"), LogFormat.Parse("combined") };
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        var pending = new byte[64 * 1024];
        var filled = 0;
        var lineNumber = 0L;
        var ranges = new Range[formats.Max(f => f.Variables.Count) + 1];
        var dropping = false;
        while (true)
        {
            if (filled == pending.Length)
            {
                if (pending.Length >= MaxLineBytes)
                {
                    // An over-long line: explain its head, skip the rest up to the newline.
                    Explain(pending.AsSpan(0, filled), ++lineNumber, formats, ranges, buffer, truncated: true);
                    filled = 0;
                    dropping = true;
                }
                else
                {
                    Array.Resize(ref pending, pending.Length * 2);
                }
            }

            var read = await input.ReadAsync(pending.AsMemory(filled), cancellationToken);
            if (read == 0)
            {
                if (filled > 0 && !dropping)
                {
                    Explain(pending.AsSpan(0, filled), ++lineNumber, formats, ranges, buffer, truncated: false);
                }

                break;
            }

            var start = 0;
            var end = filled + read;
            for (var nl = Array.IndexOf(pending, (byte)'\n', filled, read); nl >= 0; nl = Array.IndexOf(pending, (byte)'\n', start, end - start))
            {
                if (!dropping)
                {
                    Explain(pending.AsSpan(start, nl - start), ++lineNumber, formats, ranges, buffer, truncated: false);
                }

                dropping = false;
                start = nl + 1;
            }

            filled = end - start;
            Buffer.BlockCopy(pending, start, pending, 0, filled);
            if (buffer.WrittenCount > 32 * 1024)
            {
                await output.WriteAsync(buffer.WrittenMemory, cancellationToken);
                buffer.ResetWrittenCount();
            }
        }

        await output.WriteAsync(buffer.WrittenMemory, cancellationToken);
        await output.FlushAsync(cancellationToken);
        return 0;
    }

    private static void Explain(ReadOnlySpan<byte> line, long lineNumber, LogFormat[] formats, Range[] ranges, ArrayBufferWriter<byte> output, bool truncated)
    {
        line = line.TrimEnd((byte)'\r');
        using (var json = new Utf8JsonWriter(output, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("line", lineNumber);
            try
            {
                WriteExplanation(json, line, formats, ranges);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or IndexOutOfRangeException)
            {
                // A parser bug must not stop the stream: say so on this line and go on.
                json.WriteString("kind", "error");
                json.WriteNull("cause");
                json.WriteString("error", $"could not explain this line: {e.GetType().Name}: {e.Message}");
            }

            if (truncated)
            {
                json.WriteBoolean("truncated", true);
            }

            json.WriteEndObject();
        }

        output.Write("\n"u8);
    }

    private static void WriteExplanation(Utf8JsonWriter json, ReadOnlySpan<byte> line, LogFormat[] formats, Range[] ranges)
    {
        if (line.Trim((byte)' ').IsEmpty)
        {
            json.WriteString("kind", "empty");
            json.WriteNull("cause");
            json.WriteString("error", "empty line");
            return;
        }

        if (Utf8.IsValid(line) is false)
        {
            json.WriteBoolean("invalid_utf8", true);
        }

        // Other proxies first: their strict shapes (Apache's weekday timestamp, ALB's type + ISO time) can
        // otherwise pass for a pasted nginx fragment ("[error] ...").
        if (ApacheErrorLineParser.TryParse(line, out var apache))
        {
            WriteApache(json, apache);
            return;
        }

        if (AlbAccessLineParser.TryParse(line, out var alb))
        {
            WriteAlb(json, alb);
            return;
        }

        var nginxParsed = NginxErrorLineParser.TryParse(line, out var nginx);
        var nginxSure = nginxParsed && (nginx.LocalTime is not null || nginx.Level != NginxLogLevel.Unknown);
        if (nginxSure)
        {
            WriteNginxError(json, nginx);
            return;
        }

        foreach (var format in formats)
        {
            if (TryMatchAccess(format, line, ranges, out var body))
            {
                WriteAccess(json, format, line[body..], ranges);
                return;
            }
        }

        if (HaproxyLineParser.TryParse(line, out var haproxy))
        {
            WriteHaproxy(json, haproxy);
            return;
        }

        if (KernelLineParser.TryParse(line, out var kernel))
        {
            WriteKernel(json, kernel);
            return;
        }

        if (PhpFpmLineParser.TryParse(line, out var fpm))
        {
            WritePhpFpm(json, fpm);
            return;
        }

        // A pasted fragment without prefix: an nginx error if it names an upstream failure or its context.
        if (nginxParsed && (UpstreamErrorClassifier.Classify(nginx).Blames || nginx.Phase != Protos.V1.Phase.Unspecified || nginx.HasContext))
        {
            WriteNginxError(json, nginx);
            return;
        }

        json.WriteString("kind", "unknown");
        json.WriteNull("cause");
        json.WriteString("error", formats.Length == 1
            ? "not an nginx error line, an access line in the given --log-format, a php-fpm, kernel, systemd, Apache, HAProxy or ALB line"
            : "not an nginx error line, a combined/main access line, a php-fpm, kernel, systemd, Apache, HAProxy or ALB line (use --log-format for custom access logs)");
    }

    private static bool TryMatchAccess(LogFormat format, ReadOnlySpan<byte> line, Range[] ranges, out int bodyStart)
    {
        bodyStart = 0;
        if (format.TryMatch(line, ranges))
        {
            return true;
        }

        // Container decorations before the line: compose "name | ", CRI "<time> stdout F ".
        var head = line[..Math.Min(line.Length, 128)];
        return TryAfter(format, line, head, "| "u8, ranges, out bodyStart)
            || TryAfter(format, line, head, " stdout F "u8, ranges, out bodyStart)
            || TryAfter(format, line, head, " stderr F "u8, ranges, out bodyStart);
    }

    private static bool TryAfter(LogFormat format, ReadOnlySpan<byte> line, ReadOnlySpan<byte> head, ReadOnlySpan<byte> marker, Range[] ranges, out int bodyStart)
    {
        bodyStart = 0;
        var at = head.IndexOf(marker);
        if (at < 0)
        {
            return false;
        }

        var rest = line[(at + marker.Length)..];
        var trimmed = rest.TrimStart((byte)' ');
        if (!format.TryMatch(trimmed, ranges))
        {
            return false;
        }

        bodyStart = at + marker.Length + (rest.Length - trimmed.Length);
        return true;
    }

    private static void WriteNginxError(Utf8JsonWriter json, in NginxErrorLine line)
    {
        var classification = UpstreamErrorClassifier.Classify(line);
        json.WriteString("kind", "nginx_error");
        WriteCause(json, classification);
        if (line.LocalTime is { } t)
        {
            json.WriteString("local_time", t.ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
        }

        if (line.Level != NginxLogLevel.Unknown)
        {
            json.WriteString("level", line.Level.ToString().ToLowerInvariant());
        }

        if (line.Pid != 0 || line.Tid != 0)
        {
            json.WriteNumber("pid", line.Pid);
            json.WriteNumber("tid", line.Tid);
        }

        if (line.ConnectionId >= 0)
        {
            json.WriteNumber("connection_id", line.ConnectionId);
        }

        Text(json, "message", line.Message);
        if (line.Errno != 0)
        {
            json.WriteNumber("errno", line.Errno);
            Text(json, "errno_text", line.ErrnoText);
        }

        if (line.Phase != Protos.V1.Phase.Unspecified)
        {
            json.WriteString("phase", PhaseName(line.Phase));
            Text(json, "phase_text", line.PhaseText);
        }

        if (line.IsStream)
        {
            json.WriteBoolean("stream", true);
        }

        Text(json, "client", line.Client, omitEmpty: !line.HasContext);
        Text(json, "server", line.Server, omitEmpty: !line.HasContext);
        Text(json, "request", line.Request, omitEmpty: true);
        Text(json, "upstream", line.Upstream, omitEmpty: true);
        Text(json, "host", line.Host, omitEmpty: true);
        Text(json, "referrer", line.Referrer, omitEmpty: true);
        if (UpstreamTargetParser.Parse(line.Upstream) is { } target)
        {
            json.WriteStartObject("target");
            if (target.Scheme.Length > 0)
            {
                json.WriteString("scheme", target.Scheme);
            }

            json.WriteString("address", target.Address);
            if (target.IsGroup)
            {
                json.WriteBoolean("is_group", true);
            }

            json.WriteEndObject();
        }
    }

    private static void WriteAccess(Utf8JsonWriter json, LogFormat format, ReadOnlySpan<byte> line, Range[] ranges)
    {
        var classification = AccessLineClassifier.Classify(format, line, ranges);
        json.WriteString("kind", "nginx_access");
        WriteCause(json, classification);
        json.WriteString("log_format", format.Name);
        json.WriteStartObject("fields");
        var written = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < format.Variables.Count; i++)
        {
            var name = format.Variables[i];
            if (written.Add(name))
            {
                Text(json, name, line[ranges[i]]);
            }
        }

        json.WriteEndObject();
        var addr = format.IndexOf("upstream_addr");
        if (addr >= 0)
        {
            var value = line[ranges[addr]];
            json.WriteNumber("upstream_attempts", UpstreamValueList.Count(value));
            json.WriteBoolean("upstream_group_switch", UpstreamValueList.SwitchedGroup(value));
        }

        if (format.IndexOf("upstream_header_time") >= 0)
        {
            json.WriteBoolean("nginx_generated", AccessLineClassifier.NginxGenerated(format, line, ranges));
        }
    }

    private static void WritePhpFpm(Utf8JsonWriter json, in PhpFpmLine line)
    {
        json.WriteString("kind", "php_fpm");
        WriteCause(json, PhpFpmClassifier.Classify(line));
        json.WriteString("event", Snake(line.Kind.ToString()));
        if (line.LocalTime is { } t)
        {
            json.WriteString("local_time", t.ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
        }

        if (line.Level != PhpFpmLevel.Unknown)
        {
            json.WriteString("level", line.Level.ToString().ToLowerInvariant());
        }

        Text(json, "pool", line.Pool, omitEmpty: true);
        if (line.Pid != 0)
        {
            json.WriteNumber("pid", line.Pid);
        }

        if (line.Kind == PhpFpmEventKind.ChildExitedOnSignal)
        {
            json.WriteNumber("signal", line.Code);
            Text(json, "signal_name", line.SignalName);
        }
        else if (line.Kind == PhpFpmEventKind.ChildExitedWithCode)
        {
            json.WriteNumber("exit_code", line.Code);
        }

        if (line.Seconds != 0)
        {
            json.WriteNumber("seconds", line.Seconds);
        }

        if (line.Limit != 0)
        {
            json.WriteNumber("limit", line.Limit);
        }

        Text(json, "script", line.Script, omitEmpty: true);
        Text(json, "request", line.Request, omitEmpty: true);
        Text(json, "message", line.Message);
    }

    private static void WriteKernel(Utf8JsonWriter json, in KernelLine line)
    {
        var systemd = !line.Unit.IsEmpty;
        json.WriteString("kind", systemd ? "systemd" : "kernel");
        WriteCause(json, KernelClassifier.Classify(line));
        json.WriteString("event", Snake(line.Kind.ToString()));
        if (line.Pid != 0)
        {
            json.WriteNumber("pid", line.Pid);
        }

        Text(json, "command", line.Command, omitEmpty: true);
        if (line.Memcg)
        {
            json.WriteBoolean("memcg", true);
        }

        Text(json, "task_memcg", line.TaskMemcg, omitEmpty: true);
        if (line.AnonRssKb >= 0)
        {
            json.WriteNumber("anon_rss_kb", line.AnonRssKb);
        }

        Text(json, "unit", line.Unit, omitEmpty: true);
        Text(json, "exit_code", line.ExitCode, omitEmpty: true);
        Text(json, "exit_status", line.ExitStatus, omitEmpty: true);
        Text(json, "result", line.Result, omitEmpty: true);
        if (line.RestartCounter != 0)
        {
            json.WriteNumber("restart_counter", line.RestartCounter);
        }

        Text(json, "message", line.Message);
    }

    private static void WriteApache(Utf8JsonWriter json, in ApacheErrorLine line)
    {
        json.WriteString("kind", "apache_error");
        WriteCause(json, ApacheErrorClassifier.Classify(line));
        Text(json, "module", line.Module, omitEmpty: true);
        Text(json, "level", line.Level);
        if (line.Errno != 0)
        {
            json.WriteNumber("errno", line.Errno);
            Text(json, "errno_text", line.ErrnoText);
        }

        if (line.Code != 0)
        {
            json.WriteString("code", $"AH{line.Code:00000}");
        }

        Text(json, "client", line.Client, omitEmpty: true);
        Text(json, "backend", line.Backend, omitEmpty: true);
        Text(json, "message", line.Message);
    }

    private static void WriteAlb(Utf8JsonWriter json, in AlbAccessLine line)
    {
        json.WriteString("kind", "alb_access");
        WriteCause(json, AlbAccessClassifier.Classify(line));
        Text(json, "type", line.Type);
        Text(json, "time", line.Time);
        Text(json, "client", line.Client);
        Text(json, "target", line.Target);
        json.WriteNumber("request_processing_time", line.RequestProcessingTime);
        json.WriteNumber("target_processing_time", line.TargetProcessingTime);
        json.WriteNumber("response_processing_time", line.ResponseProcessingTime);
        json.WriteNumber("elb_status_code", line.ElbStatus);
        if (line.TargetStatus != 0)
        {
            json.WriteNumber("target_status_code", line.TargetStatus);
        }
        else
        {
            json.WriteNull("target_status_code");
        }

        Text(json, "request", line.Request, omitEmpty: true);
    }

    private static void WriteHaproxy(Utf8JsonWriter json, in HaproxyLine line)
    {
        json.WriteString("kind", "haproxy");
        WriteCause(json, HaproxyClassifier.Classify(line));
        Text(json, "frontend", line.Frontend);
        Text(json, "backend", line.Backend);
        Text(json, "server", line.Server);
        Text(json, "timers", line.Timers);
        json.WriteNumber("status_code", line.Status);
        Text(json, "termination_state", line.TerminationState);
        Text(json, "request", line.Request, omitEmpty: true);
    }

    private static void WriteCause(Utf8JsonWriter json, Classification classification)
    {
        if (CauseNames.Of(classification.Cause) is { } name)
        {
            json.WriteString("cause", name);
        }
        else
        {
            json.WriteNull("cause");
        }

        if (classification.Blames && classification.Status != 0)
        {
            json.WriteNumber("status", classification.Status);
        }
    }

    private static void Text(Utf8JsonWriter json, string name, ReadOnlySpan<byte> value, bool omitEmpty = false)
    {
        if (omitEmpty && value.IsEmpty)
        {
            return;
        }

        // Invalid UTF-8 (binary garbage, cut multi-byte characters) becomes U+FFFD instead of throwing.
        if (Utf8.IsValid(value))
        {
            json.WriteString(name, value);
        }
        else
        {
            json.WriteString(name, Encoding.UTF8.GetString(value));
        }
    }

    private static string PhaseName(Protos.V1.Phase phase) => phase switch
    {
        Protos.V1.Phase.Connect => "connect",
        Protos.V1.Phase.TlsHandshake => "tls_handshake",
        Protos.V1.Phase.SendRequest => "send_request",
        Protos.V1.Phase.ReadHeader => "read_header",
        Protos.V1.Phase.ReadBody => "read_body",
        _ => "other",
    };

    private static string Snake(string pascal)
    {
        var sb = new StringBuilder(pascal.Length + 8);
        for (var i = 0; i < pascal.Length; i++)
        {
            if (char.IsUpper(pascal[i]) && i > 0)
            {
                sb.Append('_');
            }

            sb.Append(char.ToLowerInvariant(pascal[i]));
        }

        return sb.ToString();
    }
}
