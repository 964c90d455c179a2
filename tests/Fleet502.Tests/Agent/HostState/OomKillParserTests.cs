using Fleet502.Agent.Sources.Kernel;

namespace Fleet502.Tests.Agent.HostState;

public class OomKillParserTests
{
    [Fact]
    public void A_memcg_oom_report_from_kmsg_records_becomes_one_kill_with_its_cgroup()
    {
        // Messages as a real kernel printed them (LTP memcg test report); kmsg framing "prio,seq,usec,flags;".
        string[] records =
        [
            "4,901,2170372482,-;memcg_process invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n",
            "6,902,2170372600,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/ltp_19257,task_memcg=/ltp_19257,task=memcg_process,pid=19289,uid=0\n",
            "3,903,2170372700,-;Memory cgroup out of memory: Killed process 19289 (memcg_process) total-vm:2676kB, anon-rss:84kB, file-rss:1468kB, shmem-rss:4kB, UID:0 pgtables:40kB oom_score_adj:0\n",
            "6,904,2170372900,-;oom_reaper: reaped process 19289 (memcg_process), now anon-rss:0kB, file-rss:0kB, shmem-rss:4kB\n",
        ];
        var parser = new OomKillParser();

        var kills = records
            .Select(r => Assert.IsType<KmsgRecord>(KmsgRecord.TryParse(r, out var k) ? k : null))
            .Select(r => parser.Feed(r.Message, r.Microseconds))
            .Where(k => k is not null)
            .ToList();

        var kill = Assert.Single(kills)!;
        Assert.Equal(19289, kill.Pid);
        Assert.Equal("memcg_process", kill.Process);
        Assert.Equal("memcg_process", kill.InvokedBy);
        Assert.Equal("CONSTRAINT_MEMCG", kill.Constraint);
        Assert.False(kill.GlobalOom);
        Assert.Equal("/ltp_19257", kill.OomMemcg);
        Assert.Equal(2676ul, kill.TotalVmKb);
        Assert.Equal(84ul, kill.AnonRssKb);
        Assert.Equal(1468ul, kill.FileRssKb);
        Assert.Equal(4ul, kill.ShmemRssKb);
        Assert.Equal(2170372700ul, kill.KernelTimeUs);
    }

    [Fact]
    public void Syslog_wrapped_pre_5x_global_oom_lines_parse_and_name_the_invoker()
    {
        // cipi-sh/cipi#190 and docker/for-linux#1001 (kernel via syslog).
        var parser = new OomKillParser();
        Assert.Null(parser.Feed("Apr  6 22:28:06 myserver1 kernel: [ 2170.372482] supervisord invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0"));

        var kill = parser.Feed("May 15 23:09:30 ubuntu-s-1vcpu-2gb-ams3-01 kernel: [  518.050606] Out of memory: Killed process 15784 (python3) total-vm:11964kB, anon-rss:4288kB, file-rss:3028kB, shmem-rss:0kB");

        Assert.NotNull(kill);
        Assert.Equal(15784, kill.Pid);
        Assert.Equal("python3", kill.Process);
        Assert.Equal("supervisord", kill.InvokedBy);
        Assert.True(kill.GlobalOom);
        Assert.Equal(4288ul, kill.AnonRssKb);
    }

    [Fact]
    public void A_kubernetes_container_kill_names_the_container()
    {
        var parser = new OomKillParser();
        parser.Feed("oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=3e5e5eab87df615f4777e6f7f261a7fb62f4a7ee5bc3e25e3a5b5223ccd368fe,mems_allowed=0-1,oom_memcg=/kubepods/burstable/pod28fcb1a0-a45c-44e7-b9bf-e3b9360bedba,task_memcg=/kubepods/burstable/pod28fcb1a0-a45c-44e7-b9bf-e3b9360bedba/3e5e5eab87df615f4777e6f7f261a7fb62f4a7ee5bc3e25e3a5b5223ccd368fe,task=java,pid=50624,uid=10000");

        var kill = parser.Feed("Memory cgroup out of memory: Killed process 50624 (java) total-vm:8765432kB, anon-rss:2097152kB, file-rss:0kB, shmem-rss:0kB, UID:10000 pgtables:4500kB oom_score_adj:999");

        Assert.NotNull(kill);
        Assert.Equal("3e5e5eab87df615f4777e6f7f261a7fb62f4a7ee5bc3e25e3a5b5223ccd368fe", kill.ContainerId);
        Assert.Equal(10000u, kill.Uid);
    }
}
