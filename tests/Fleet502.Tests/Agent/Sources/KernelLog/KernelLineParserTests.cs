using System.Text;
using Fleet502.Agent.Sources.KernelLog;
using Fleet502.Protos.V1;
using Fleet502.Tests.Support;

namespace Fleet502.Tests.Agent.Sources.KernelLog;

public class KernelLineParserTests
{
    public static TheoryData<CorpusRecord> KernelLines()
    {
        var data = new TheoryData<CorpusRecord>();
        foreach (var record in Corpus.Load("kernel_systemd_lines.jsonl"))
        {
            data.Add(record);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KernelLines))]
    public void Every_corpus_kernel_and_systemd_line_classifies_to_its_mapped_cause(CorpusRecord record)
    {
        var label = CorpusLabels.For(record.Cause);

        Assert.True(KernelLineParser.TryParse(Encoding.UTF8.GetBytes(record.Line), out var line));
        var classification = KernelClassifier.Classify(line);

        Assert.True(label.Accepts(classification.Cause), $"{record.Cause}: expected {label.Cause}, got {classification.Cause}");
        Assert.Equal(0, classification.Status);
    }

    [Fact]
    public void Parses_the_victim_of_a_modern_oom_kill()
    {
        var raw = "[ 1234.567890] Out of memory: Killed process 4242 (php-fpm) total-vm:812345kB, anon-rss:512000kB, file-rss:0kB, shmem-rss:0kB, UID:33 pgtables:1200kB oom_score_adj:0"u8;

        Assert.True(KernelLineParser.TryParse(raw, out var line));

        Assert.Equal(KernelEventKind.OomKilled, line.Kind);
        Assert.Equal(4242, line.Pid);
        Assert.Equal("php-fpm", Text(line.Command));
        Assert.Equal(512000, line.AnonRssKb);
        Assert.False(line.Memcg);
    }

    [Fact]
    public void Parses_a_memcg_constraint_line_with_its_container()
    {
        var raw = "kernel: oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=abc,mems_allowed=0,oom_memcg=/docker/abc,task_memcg=/docker/abc,task=php-fpm,pid=4242,uid=33"u8;

        Assert.True(KernelLineParser.TryParse(raw, out var line));

        Assert.Equal(KernelEventKind.OomConstraint, line.Kind);
        Assert.True(line.Memcg);
        Assert.Equal("/docker/abc", Text(line.TaskMemcg));
        Assert.Equal("php-fpm", Text(line.Command));
        Assert.Equal(4242, line.Pid);
    }

    [Theory]
    [InlineData("Memory cgroup out of memory: Killed process 77 (node) total-vm:1kB, anon-rss:2kB, file-rss:0kB", KernelEventKind.OomKilled, "node")]
    [InlineData("Out of memory: Kill process 77 (mysqld) score 900 or sacrifice child", KernelEventKind.OomKilled, "mysqld")]
    [InlineData("oom_reaper: reaped process 77 (php-fpm), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB", KernelEventKind.OomReaped, "php-fpm")]
    [InlineData("Task in /docker/abc killed as a result of limit of /docker/abc", KernelEventKind.OomConstraint, "")]
    public void Older_and_companion_oom_forms_are_recognised(string raw, KernelEventKind kind, string command)
    {
        Assert.True(KernelLineParser.TryParse(Encoding.UTF8.GetBytes(raw), out var line));
        Assert.Equal(kind, line.Kind);
        Assert.Equal(command, Text(line.Command));
        Assert.Equal(Cause.UpstreamCrash, KernelClassifier.Classify(line).Cause);
    }

    [Theory]
    [InlineData("Jan 12 01:00:52 host systemd[1]: php8.2-fpm.service: Main process exited, code=killed, status=9/KILL", KernelEventKind.UnitMainProcessExited, Cause.UpstreamCrash)]
    [InlineData("Jan 12 01:00:52 host systemd[1]: php8.2-fpm.service: Main process exited, code=dumped, status=11/SEGV", KernelEventKind.UnitMainProcessExited, Cause.UpstreamCrash)]
    [InlineData("Jan 12 01:00:52 host systemd[1]: php8.2-fpm.service: Main process exited, code=exited, status=1/FAILURE", KernelEventKind.UnitMainProcessExited, Cause.BackendDown)]
    [InlineData("Jan 12 01:00:52 host systemd[1]: php8.2-fpm.service: Main process exited, code=exited, status=0/SUCCESS", KernelEventKind.UnitMainProcessExited, Cause.Unspecified)]
    [InlineData("Jan 12 01:00:52 host systemd[1]: php8.2-fpm.service: Failed with result 'oom-kill'.", KernelEventKind.UnitFailed, Cause.UpstreamCrash)]
    [InlineData("Jan 12 01:00:52 host systemd[1]: php8.2-fpm.service: Failed with result 'exit-code'.", KernelEventKind.UnitFailed, Cause.BackendDown)]
    [InlineData("Jan 12 01:00:52 host systemd[1]: php8.2-fpm.service: Failed with result 'start-limit-hit'.", KernelEventKind.UnitFailed, Cause.BackendDown)]
    [InlineData("Jan 12 01:00:52 host systemd[1]: php8.2-fpm.service: Failed with result 'signal'.", KernelEventKind.UnitFailed, Cause.UpstreamCrash)]
    [InlineData("Jan 12 01:00:52 host systemd[1]: php8.2-fpm.service: Failed with result 'core-dump'.", KernelEventKind.UnitFailed, Cause.UpstreamCrash)]
    [InlineData("Jan 12 01:00:52 host systemd[1]: php8.2-fpm.service: Failed with result 'timeout'.", KernelEventKind.UnitFailed, Cause.BackendDown)]
    [InlineData("Jan 12 01:00:52 host systemd[1]: php8.2-fpm.service: Failed with result 'watchdog'.", KernelEventKind.UnitFailed, Cause.UpstreamCrash)]
    [InlineData("Jan 12 01:00:52 host systemd[1]: php8.2-fpm.service: A process of this unit has been killed by the OOM killer.", KernelEventKind.UnitOomKilled, Cause.UpstreamCrash)]
    [InlineData("Jan 12 01:00:52 host systemd[1]: php8.2-fpm.service: Scheduled restart job, restart counter is at 5.", KernelEventKind.UnitRestartScheduled, Cause.BackendDown)]
    [InlineData("Jan 12 01:00:52 host systemd[1]: php8.2-fpm.service: Start request repeated too quickly.", KernelEventKind.UnitStartLimitHit, Cause.BackendDown)]
    [InlineData("Jan 12 01:00:52 host systemd[1]: php8.2-fpm.service: Consumed 1min 2.345s CPU time.", KernelEventKind.UnitStopped, Cause.Unspecified)]
    public void Systemd_unit_lines_name_the_unit_and_blame_by_result(string raw, KernelEventKind kind, Cause cause)
    {
        Assert.True(KernelLineParser.TryParse(Encoding.UTF8.GetBytes(raw), out var line));

        Assert.Equal(kind, line.Kind);
        Assert.Equal("php8.2-fpm.service", Text(line.Unit));
        Assert.Equal(cause, KernelClassifier.Classify(line).Cause);
    }

    [Fact]
    public void An_oom_panic_is_a_crash_and_the_candidate_table_blames_nothing()
    {
        Assert.True(KernelLineParser.TryParse("[ 99.1] Kernel panic - not syncing: Out of memory and no killable processes..."u8, out var panic));
        Assert.Equal(KernelEventKind.OomPanic, panic.Kind);
        Assert.Equal(Cause.UpstreamCrash, KernelClassifier.Classify(panic).Cause);

        foreach (var raw in new[] { "[ 99.1] Tasks state (memory values in pages):", "[ 99.1] [   4242]    33  4242    60056     4123   409600        0             0 php-fpm8.2" })
        {
            if (KernelLineParser.TryParse(Encoding.UTF8.GetBytes(raw), out var line))
            {
                Assert.False(KernelClassifier.Classify(line).Blames, raw);
            }
        }
    }

    [Fact]
    public void Restart_counter_and_exit_status_are_extracted()
    {
        Assert.True(KernelLineParser.TryParse("systemd[1]: app.service: Scheduled restart job, restart counter is at 17."u8, out var restart));
        Assert.Equal(17, restart.RestartCounter);

        Assert.True(KernelLineParser.TryParse("systemd[1]: app.service: Main process exited, code=killed, status=9/KILL"u8, out var exited));
        Assert.Equal("killed", Text(exited.ExitCode));
        Assert.Equal("9/KILL", Text(exited.ExitStatus));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Killed process ")]
    [InlineData(" invoked oom-killer")]
    [InlineData(": Main process exited, ")]
    [InlineData("oom-kill:constraint=")]
    [InlineData("x: Failed with result '")]
    public void Malformed_lines_never_throw(string raw)
    {
        if (KernelLineParser.TryParse(Encoding.UTF8.GetBytes(raw), out var line))
        {
            _ = KernelClassifier.Classify(line);
        }
    }

    private static string Text(ReadOnlySpan<byte> s) => Encoding.UTF8.GetString(s);
}
