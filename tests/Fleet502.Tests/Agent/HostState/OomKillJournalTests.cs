using System.Diagnostics;
using Fleet502.Agent.Configuration;
using Fleet502.Agent.Shipping;
using Fleet502.Agent.Sources.Kernel;
using Fleet502.Protos.V1;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet502.Tests.Agent.HostState;

/// <summary>The journalctl fallback for kernel OOM kills (when /dev/kmsg is unreadable).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class OomKillJournalTests
{
    [Fact]
    public void Recorded_journalctl_k_json_oom_reports_become_kills_at_the_journal_time()
    {
        var parser = new OomKillParser();
        var kills = new List<(OomKill Kill, DateTimeOffset Time)>();
        var malformed = 0;
        foreach (var line in RecordedOutput.Read("journalctl-k-json-oom.jsonl").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (OomKillSource.FromJournalLine(parser, line, out var time, out var bad) is { } kill)
            {
                kills.Add((kill, time));
            }

            malformed += bad ? 1 : 0;
        }

        Assert.Equal(1, malformed);
        Assert.Equal(2, kills.Count);
        var (memcg, at) = kills[0];
        Assert.Equal(19289, memcg.Pid);
        Assert.Equal("memcg_process", memcg.Process);
        Assert.Equal("CONSTRAINT_MEMCG", memcg.Constraint);
        Assert.Equal("/ltp_19257", memcg.TaskMemcg);
        Assert.Equal(84ul, memcg.AnonRssKb);
        Assert.Equal(2170372700ul, memcg.KernelTimeUs);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1599541804929).AddTicks(380), at);

        // MESSAGE as a byte array (not valid UTF-8): still parsed, the bad byte replaced.
        var (global, _) = kills[1];
        Assert.Equal(15784, global.Pid);
        Assert.Equal("php-fpm\uFFFD", global.Process);
        Assert.Equal("php-fpm", global.InvokedBy);
        Assert.True(global.GlobalOom);
    }

    [Fact]
    public async Task With_kmsg_unreadable_the_source_follows_real_journalctl_and_stops_it_on_shutdown()
    {
        // No journal runs here, so real journalctl follows an empty one: it must run until the
        // agent stops and then be gone, with nothing reported.
        var queue = new EventQueue();
        var options = new KernelOptions { KmsgPath = "/nonexistent/kmsg" };
        var source = new OomKillSource(queue, NullLogger<OomKillSource>.Instance, TimeProvider.System, options);
        using var stop = new CancellationTokenSource();
        Process? journalctl = null;
        var follow = source.FollowJournalAsync(stop.Token, p => journalctl = p);

        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.NotNull(journalctl);
        var pid = journalctl.Id;
        Assert.True(Directory.Exists($"/proc/{pid}"), "journalctl runs while the agent does");
        Assert.Contains("-k", File.ReadAllText($"/proc/{pid}/cmdline").Split('\0'));

        await stop.CancelAsync();
        await follow.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(Directory.Exists($"/proc/{pid}"), "journalctl was stopped with the agent");
        Assert.False(queue.Reader.TryRead(out _));
    }
}
