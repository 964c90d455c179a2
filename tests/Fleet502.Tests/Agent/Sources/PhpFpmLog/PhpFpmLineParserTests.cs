using System.Text;
using Fleet502.Agent.Sources.PhpFpmLog;
using Fleet502.Protos.V1;
using Fleet502.Tests.Support;

namespace Fleet502.Tests.Agent.Sources.PhpFpmLog;

public class PhpFpmLineParserTests
{
    public static TheoryData<CorpusRecord> FpmLines()
    {
        var data = new TheoryData<CorpusRecord>();
        foreach (var record in Corpus.Load("php_fpm_lines.jsonl"))
        {
            data.Add(record);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FpmLines))]
    public void Every_corpus_fpm_line_parses_and_classifies_to_its_mapped_cause(CorpusRecord record)
    {
        var label = CorpusLabels.For(record.Cause);

        Assert.True(PhpFpmLineParser.TryParse(Encoding.UTF8.GetBytes(record.Line), out var line));
        Assert.NotEqual(PhpFpmEventKind.Unknown, line.Kind);
        var classification = PhpFpmClassifier.Classify(line);

        Assert.True(label.Accepts(classification.Cause), $"{record.Cause}: expected {label.Cause}, got {classification.Cause}");
    }

    [Fact]
    public void Parses_a_sigkill_exit_with_pool_pid_signal_and_uptime()
    {
        Assert.True(PhpFpmLineParser.TryParse("[25-Oct-2021 13:14:08] WARNING: [pool friendica] child 24227 exited on signal 9 (SIGKILL) after 34708.373523 seconds from start"u8, out var line));

        Assert.Equal(new DateTime(2021, 10, 25, 13, 14, 8), line.LocalTime);
        Assert.Equal(PhpFpmLevel.Warning, line.Level);
        Assert.Equal("friendica", Text(line.Pool));
        Assert.Equal(PhpFpmEventKind.ChildExitedOnSignal, line.Kind);
        Assert.Equal(24227, line.Pid);
        Assert.Equal(9, line.Code);
        Assert.Equal("SIGKILL", Text(line.SignalName));
        Assert.Equal(34708.373523, line.Seconds, 6);
    }

    [Fact]
    public void Parses_the_syslog_form_with_function_and_line()
    {
        Assert.True(PhpFpmLineParser.TryParse("Jun 11 09:22:42 warmshowers php-fpm:  [WARNING] fpm_children_bury(), line 252: [pool www] child 14226 exited on signal 15 (SIGTERM) after 7189.199345 seconds from start"u8, out var line));

        Assert.Equal(PhpFpmLevel.Warning, line.Level);
        Assert.Equal("www", Text(line.Pool));
        Assert.Equal(15, line.Code);
        Assert.Equal("SIGTERM", Text(line.SignalName));
        Assert.Equal(Cause.UpstreamCrash, PhpFpmClassifier.Classify(line).Cause);
    }

    [Theory]
    [InlineData("WARNING: [pool www] server reached pm.max_children setting (8), consider raising it", PhpFpmEventKind.MaxChildrenReached, 8)]
    [InlineData("[04-Aug-2013 01:51:14] WARNING: [pool www] server reached max_children setting (5), consider raising it", PhpFpmEventKind.MaxChildrenReached, 5)]
    [InlineData("[04-Aug-2013 01:51:14] WARNING: [pool www] seems busy (you may need to increase pm.start_servers, or pm.min/max_spare_servers), spawning 8 children, there are 0 idle, and 13 total children", PhpFpmEventKind.SeemsBusy, 8)]
    public void Pool_saturation_lines_carry_the_limit(string raw, PhpFpmEventKind kind, int limit)
    {
        Assert.True(PhpFpmLineParser.TryParse(Encoding.UTF8.GetBytes(raw), out var line));
        Assert.Equal(kind, line.Kind);
        Assert.Equal(limit, line.Limit);
        Assert.Equal(kind == PhpFpmEventKind.MaxChildrenReached ? Cause.FpmPoolExhausted : Cause.Unspecified, PhpFpmClassifier.Classify(line).Cause);
    }

    [Theory]
    [InlineData("[21-Nov-2013 14:30:38] WARNING: [pool www] child 11877, script '/var/www/index.php' (request: \"GET /index.php?id=1\") executing too slow (5.012345 sec), logging", PhpFpmEventKind.SlowRequest, Cause.Unspecified)]
    [InlineData("[21-Nov-2013 14:30:58] WARNING: [pool www] child 11877, script '/var/www/index.php' (request: \"GET /index.php?id=1\") execution timed out (20.001 sec), terminating", PhpFpmEventKind.RequestTerminated, Cause.UpstreamCrash)]
    public void Slow_and_terminated_requests_name_script_request_and_duration(string raw, PhpFpmEventKind kind, Cause cause)
    {
        Assert.True(PhpFpmLineParser.TryParse(Encoding.UTF8.GetBytes(raw), out var line));

        Assert.Equal(kind, line.Kind);
        Assert.Equal(11877, line.Pid);
        Assert.Equal("/var/www/index.php", Text(line.Script));
        Assert.Equal("GET /index.php?id=1", Text(line.Request));
        Assert.True(line.Seconds > 5);
        Assert.Equal(cause, PhpFpmClassifier.Classify(line).Cause);
    }

    [Theory]
    [InlineData("[21-Nov-2013 14:30:38]  [pool www] pid 11877", PhpFpmEventKind.SlowlogEntry)]
    [InlineData("script_filename = /var/www/index.php", PhpFpmEventKind.SlowlogScript)]
    [InlineData("[0x00007f5a1c2d3e40] curl_exec() /var/www/lib/Http.php:88", PhpFpmEventKind.SlowlogFrame)]
    public void Slowlog_entries_are_recognised(string raw, PhpFpmEventKind kind)
    {
        Assert.True(PhpFpmLineParser.TryParse(Encoding.UTF8.GetBytes(raw), out var line));
        Assert.Equal(kind, line.Kind);
        Assert.False(PhpFpmClassifier.Classify(line).Blames);
    }

    [Theory]
    [InlineData("[07-Apr-2021 12:06:02] NOTICE: [pool www] child 94932 exited with code 0 after 1.5 seconds from start", false)]
    [InlineData("[07-Apr-2021 12:06:02] WARNING: [pool www] child 94932 exited with code 255 after 1.5 seconds from start", true)]
    [InlineData("[07-Apr-2021 12:06:02] NOTICE: [pool www] child 94932 exited on signal 3 (SIGQUIT) after 1.5 seconds from start", false)]
    [InlineData("[07-Apr-2021 12:06:02] WARNING: [pool www] child 94932 exited on signal 11 (SIGSEGV - core dumped) after 1.5 seconds from start", true)]
    [InlineData("[07-Apr-2021 12:06:02] WARNING: failed processes threshold (10 in 60 sec) is reached, initiating reload", true)]
    [InlineData("[07-Apr-2021 12:06:02] WARNING: The maximum number of processes has been reached. Please review your configuration and consider raising 'process.max'", true)]
    [InlineData("[07-Apr-2021 12:06:02] ERROR: FPM initialization failed", true)]
    [InlineData("[07-Apr-2021 12:06:02] NOTICE: ready to handle connections", false)]
    [InlineData("[07-Apr-2021 12:06:02] NOTICE: Terminating ...", true)]
    [InlineData("[07-Apr-2021 12:06:02] NOTICE: exiting, bye-bye!", true)]
    [InlineData("[07-Apr-2021 12:06:02] NOTICE: fpm is running, pid 4242", false)]
    [InlineData("[07-Apr-2021 12:06:02] NOTICE: [pool www] child 94933 started", false)]
    [InlineData("[07-Apr-2021 12:06:02] WARNING: [pool www] child 94932 exited on signal 7 (SIGBUS) after 1.5 seconds from start", true)]
    [InlineData("[07-Apr-2021 12:06:02] WARNING: [pool www] child 94932 exited on signal 15 (SIGTERM) after 1.5 seconds from start", true)]
    [InlineData("[07-Apr-2021 12:06:02] WARNING: [pool www] child 94932 said into stderr: \"NOTICE: PHP message: x\"", false)]
    [InlineData("[07-Apr-2021 12:06:02] ALERT: oops, unknown child (94932) exited on signal 9 (SIGKILL). Please open a bug report (https://github.com/php/php-src/issues).", false)]
    [InlineData("[19-Jan-2026 12:22:52] ERROR: [pool www] 'request_slowlog_timeout' (30) can't be greater than 'request_terminate_timeout' (20)", true)]
    public void Exits_and_lifecycle_lines_blame_only_failures(string raw, bool blames)
    {
        Assert.True(PhpFpmLineParser.TryParse(Encoding.UTF8.GetBytes(raw), out var line));
        Assert.Equal(blames, PhpFpmClassifier.Classify(line).Blames);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello world")]
    [InlineData("[07-Apr-2021 12:06:02]")]
    [InlineData("[99-Xyz-0000 99:99:99] WARNING:")]
    [InlineData("WARNING: [pool ")]
    [InlineData("WARNING: [pool www] child ")]
    [InlineData("WARNING: [pool www] child 1, script '")]
    [InlineData("[0x")]
    public void Malformed_lines_never_throw(string raw)
    {
        if (PhpFpmLineParser.TryParse(Encoding.UTF8.GetBytes(raw), out var line))
        {
            _ = PhpFpmClassifier.Classify(line);
        }
    }

    private static string Text(ReadOnlySpan<byte> s) => Encoding.UTF8.GetString(s);
}
