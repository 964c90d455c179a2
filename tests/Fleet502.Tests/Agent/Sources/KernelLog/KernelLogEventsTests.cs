using System.Text;
using Fleet502.Agent.Sources.KernelLog;
using Fleet502.Agent.Tailing;
using Fleet502.Protos.V1;
using Fleet502.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet502.Tests.Agent.Sources.KernelLog;

/// <summary>Kernel and systemd lines followed in a real syslog-style file become OomKill and ServiceState events.</summary>
public sealed class KernelLogEventsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("f502-kern-").FullName;

    [Fact]
    public async Task A_followed_kern_log_turns_an_oom_report_and_unit_failures_into_events()
    {
        var log = Path.Combine(_dir, "kern.log");
        // A full OOM report as rsyslog writes it (mm/oom_kill.c, 5.x), then systemd's view of the unit.
        string[] lines =
        [
            "May 15 23:09:30 web-1 kernel: [  518.050601] php-fpm8.2 invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0",
            "May 15 23:09:30 web-1 kernel: [  518.050605] Tasks state (memory values in pages):",
            "May 15 23:09:30 web-1 kernel: [  518.050606] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/system.slice/php8.2-fpm.service,task_memcg=/system.slice/php8.2-fpm.service,task=php-fpm8.2,pid=15784,uid=33",
            "May 15 23:09:30 web-1 kernel: [  518.050607] Memory cgroup out of memory: Killed process 15784 (php-fpm8.2) total-vm:811964kB, anon-rss:504288kB, file-rss:3028kB, shmem-rss:0kB, UID:33 pgtables:1200kB oom_score_adj:0",
            "May 15 23:09:30 web-1 systemd[1]: php8.2-fpm.service: A process of this unit has been killed by the OOM killer.",
            "May 15 23:09:30 web-1 systemd[1]: php8.2-fpm.service: Main process exited, code=killed, status=9/KILL",
            "May 15 23:09:30 web-1 systemd[1]: php8.2-fpm.service: Failed with result 'oom-kill'.",
            "May 15 23:09:35 web-1 systemd[1]: php8.2-fpm.service: Scheduled restart job, restart counter is at 3.",
            "May 15 23:09:35 web-1 CRON[1]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)",
        ];
        await File.WriteAllLinesAsync(log, lines);

        var events = Follow(log);

        var kill = Assert.Single(events, e => e.BodyCase == Event.BodyOneofCase.OomKill).OomKill;
        Assert.Equal(15784, kill.Pid);
        Assert.Equal("php-fpm8.2", kill.Process);
        Assert.Equal("php-fpm8.2", kill.InvokedBy);
        Assert.Equal("php8.2-fpm.service", kill.SystemdUnit);
        Assert.False(kill.GlobalOom);
        Assert.Equal(504288UL, kill.AnonRssKb);

        var states = events.Where(e => e.BodyCase == Event.BodyOneofCase.ServiceState).Select(e => e.ServiceState).ToList();
        Assert.Equal(4, states.Count);
        Assert.All(states, s => Assert.Equal(("php8.2-fpm.service", SupervisorKind.Systemd), (s.Name, s.Supervisor)));
        Assert.True(states[0].OomKilled);
        Assert.Equal(9, states[1].ExitSignal);
        Assert.Equal((ServiceStatus.Failed, "oom-kill", true), (states[2].Status, states[2].Result, states[2].OomKilled));
        Assert.Equal((ServiceStatus.Restarting, 3u), (states[3].Status, states[3].Restarts));
        Assert.All(events, e => Assert.Equal(log, e.Source.Path));
    }

    [Fact]
    public void Every_corpus_kernel_and_systemd_line_that_reports_a_kill_or_a_unit_change_makes_an_event()
    {
        var mapper = new KernelLogEvents(TimeProvider.System);
        var made = Corpus.Load("kernel_systemd_lines.jsonl")
            .Select(r => (r.Line, Event: mapper.Map(Encoding.UTF8.GetBytes(r.Line))))
            .ToList();

        // The corpus has an invoker line, a pre-5.x kill line, a journal invoker and two unit lines.
        Assert.Contains(made, m => m.Event?.OomKill is { Pid: 15784, Process: "python3" });
        Assert.Contains(made, m => m.Event?.ServiceState is { Name: "apache2.service", OomKilled: true });
        Assert.Contains(made, m => m.Event?.ServiceState is { Name: "networkd-dispatcher.service", ExitSignal: 9 });
        Assert.DoesNotContain(made, m => m.Line.Contains("invoked oom-killer", StringComparison.Ordinal) && m.Event is not null);
    }

    private List<Event> Follow(string log)
    {
        var events = new List<Event>();
        var mapper = new KernelLogEvents(TimeProvider.System);
        using var tailer = new LogTailer([log], new TailerSettings { ReadFromStart = true }, new CheckpointStore(Path.Combine(_dir, "state"), TimeProvider.System),
            TimeProvider.System, NullLogger.Instance);
        tailer.Poll((file, line, offset, _) =>
        {
            if (mapper.Map(line) is { } evt)
            {
                evt.Source = new SourceRef { Path = file.Path, Offset = offset };
                events.Add(evt);
            }
        });
        return events;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
