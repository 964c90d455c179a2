using Fleet502.Agent.Configuration;
using Fleet502.Agent.Shipping;
using Fleet502.Agent.Sources.KernelLog;
using Fleet502.Agent.Sources.PhpFpmLog;
using Fleet502.Agent.Tailing;
using Fleet502.Protos.V1;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet502.Tests.Agent.Sources.PhpFpmLog;

/// <summary>The hosted sources as the agent runs them: lines appended to real files reach the event queue, in order.</summary>
public sealed class PhpFpmLogSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("f502-fpmsrc-").FullName;

    [Fact]
    public async Task Appended_fpm_lines_reach_the_queue_as_fpm_log_events_and_context_lines_do_not()
    {
        var log = Path.Combine(_dir, "php8.2-fpm.log");
        await File.WriteAllTextAsync(log, "");
        var options = Options.Create(new AgentOptions { StateDirectory = Path.Combine(_dir, "state"), PhpFpm = { ErrorLogs = [log] }, Nginx = { PollInterval = TimeSpan.FromMilliseconds(50), ReadFromStart = true } });
        var queue = new EventQueue();
        using var source = new PhpFpmLogSource(queue, new PendingOffsets(), options, NullLogger<PhpFpmLogSource>.Instance, TimeProvider.System);
        // ReadFromStart: the source may first look at the file after the lines below are in it (a first run
        // otherwise starts existing files at their end).
        await source.StartAsync(CancellationToken.None);

        await File.AppendAllLinesAsync(log,
        [
            "[24-Nov-2026 10:00:00] NOTICE: [pool www] child 11 started",
            "[24-Nov-2026 10:00:01] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it",
            "[24-Nov-2026 10:00:02] WARNING: [pool www] child 12 exited on signal 11 (SIGSEGV - core dumped) after 3.5 seconds from start",
        ]);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var first = (await queue.Reader.ReadAsync(timeout.Token)).ToEvent();
        var second = (await queue.Reader.ReadAsync(timeout.Token)).ToEvent();
        await source.StopAsync(CancellationToken.None);

        Assert.Equal((FpmLogKind.MaxChildrenReached, 5u, Cause.FpmPoolExhausted), (first.FpmLog.Kind, first.FpmLog.Limit, first.FpmLog.Cause));
        Assert.Equal((FpmLogKind.ChildKilled, 11, "SIGSEGV", 12), (second.FpmLog.Kind, second.FpmLog.Signal, second.FpmLog.SignalName, second.FpmLog.Pid));
        Assert.Equal(log, second.Source.Path);
        Assert.False(queue.Reader.TryRead(out _));
    }

    [Fact]
    public async Task With_no_log_files_configured_the_kernel_log_source_stays_idle()
    {
        var options = Options.Create(new AgentOptions { StateDirectory = Path.Combine(_dir, "state") });
        using var source = new KernelLogSource(new EventQueue(), new PendingOffsets(), options, NullLogger<KernelLogSource>.Instance, TimeProvider.System);

        await source.StartAsync(CancellationToken.None);
        await source.ExecuteTask!;

        Assert.False(Directory.Exists(Path.Combine(_dir, "state", "kernel-log")));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
