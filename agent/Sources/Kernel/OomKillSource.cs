using Fleet502.Agent.Configuration;
using Fleet502.Agent.Shipping;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet502.Agent.Sources.Kernel;

/// <summary>Follows /dev/kmsg and sends an <see cref="OomKill"/> per kernel OOM kill.</summary>
public sealed partial class OomKillSource(EventQueue queue, ILogger<OomKillSource> logger, TimeProvider time, KernelOptions options) : BackgroundService
{
    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(500);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled)
        {
            return;
        }

        KmsgReader reader;
        try
        {
            reader = KmsgReader.Open(options.KmsgPath);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            // Reported once; every other source keeps working.
            LogUnavailable(e.Message);
            return;
        }

        using (reader)
        {
            var parser = new OomKillParser();
            try
            {
                while (!stoppingToken.IsCancellationRequested)
                {
                    var record = reader.TryRead();
                    if (record is null)
                    {
                        await Task.Delay(IdleWait, time, stoppingToken);
                        continue;
                    }

                    if (!KmsgRecord.TryParse(record, out var r) || parser.Feed(r.Message, r.Microseconds) is not { } kill)
                    {
                        continue;
                    }

                    // kmsg stamps are microseconds since boot (CLOCK_MONOTONIC): place them on the wall clock.
                    var age = TimeSpan.FromMilliseconds(Environment.TickCount64) - TimeSpan.FromMicroseconds(r.Microseconds);
                    if (age > options.ReplayWindow)
                    {
                        continue;
                    }

                    LogOomKill(kill.Pid, kill.Process, kill.TaskMemcg);
                    await queue.EnqueueAsync(new Event { Time = Timestamp.FromDateTimeOffset(time.GetUtcNow() - age), OomKill = kill }, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            catch (IOException e)
            {
                LogUnavailable(e.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kernel OOM kills are not reported: {Reason}")]
    private partial void LogUnavailable(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Kernel OOM kill: pid {Pid} ({Process}) in {Cgroup}")]
    private partial void LogOomKill(int pid, string process, string cgroup);
}
