using System.Text;
using Fleet502.Agent.Sources.Kernel;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet502.Agent.Sources.KernelLog;

/// <summary>
/// Turns kernel and systemd lines read from a log file (syslog's kern.log / syslog / messages, a journal
/// export) into the events /dev/kmsg and the supervisors' samplers send: an <see cref="OomKill"/> per
/// "Killed process" (with its invoker and memcg from the lines before it), a <see cref="ServiceState"/>
/// per unit failure, OOM kill, main-process exit or restart. Other lines are skipped.
/// </summary>
public sealed class KernelLogEvents(TimeProvider time)
{
    private readonly OomKillParser _oom = new();

    /// <summary>The event this line makes, or null.</summary>
    public Event? Map(ReadOnlySpan<byte> raw)
    {
        if (!KernelLineParser.TryParse(raw, out var line))
        {
            return null;
        }

        var now = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        switch (line.Kind)
        {
            case KernelEventKind.OomInvoked or KernelEventKind.OomConstraint or KernelEventKind.OomKilled:
                // The parser keeps the invoker and the constraint until the kill line.
                return _oom.Feed(Encoding.UTF8.GetString(raw)) is { } kill ? new Event { Time = now, OomKill = kill } : null;
            case KernelEventKind.UnitOomKilled or KernelEventKind.UnitFailed or KernelEventKind.UnitMainProcessExited
                or KernelEventKind.UnitRestartScheduled or KernelEventKind.UnitStartLimitHit:
                return new Event { Time = now, ServiceState = Service(line) };
            default:
                return null;
        }
    }

    private static ServiceState Service(in KernelLine line)
    {
        var state = new ServiceState
        {
            Supervisor = SupervisorKind.Systemd,
            Name = Encoding.UTF8.GetString(line.Unit),
            Detail = Encoding.UTF8.GetString(line.Message),
            Status = ServiceStatus.Unknown,
        };
        switch (line.Kind)
        {
            case KernelEventKind.UnitOomKilled:
                state.OomKilled = true;
                state.Result = "oom-kill";
                state.RawState = "oom-kill";
                break;
            case KernelEventKind.UnitFailed:
                state.Status = ServiceStatus.Failed;
                state.Result = Encoding.UTF8.GetString(line.Result);
                state.OomKilled = state.Result == "oom-kill";
                state.RawState = "failed";
                break;
            case KernelEventKind.UnitStartLimitHit:
                // No more restarts: the backend stays down until someone acts.
                state.Status = ServiceStatus.Failed;
                state.Result = "start-limit-hit";
                state.RawState = "failed";
                break;
            case KernelEventKind.UnitRestartScheduled:
                state.Status = ServiceStatus.Restarting;
                state.Restarts = (uint)Math.Max(0, line.RestartCounter);
                state.RawState = "auto-restart";
                break;
            case KernelEventKind.UnitMainProcessExited:
                // "code=killed, status=9/KILL": a signal; "code=exited, status=1/FAILURE": an exit code.
                var slash = line.ExitStatus.IndexOf((byte)'/');
                _ = Utf8Scan.TryDigits(slash >= 0 ? line.ExitStatus[..slash] : line.ExitStatus, out var number);
                if (line.ExitCode.SequenceEqual("exited"u8))
                {
                    state.ExitCode = number;
                }
                else
                {
                    state.ExitSignal = number;
                }

                state.RawState = "main-process-exited";
                break;
        }

        return state;
    }
}
