using System.Text.Json;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet502.Agent.Sources.Supervisors.Pm2;

/// <summary>Maps <c>pm2 jlist</c> output to service states.</summary>
public static class Pm2JlistParser
{
    public static List<ServiceState> Parse(string output)
    {
        // pm2 may print daemon notices ("[PM2] Spawning PM2 daemon") before the JSON array.
        var start = output.IndexOf("[{", StringComparison.Ordinal);
        if (start < 0)
        {
            start = output.IndexOf("[]", StringComparison.Ordinal);
        }

        if (start < 0)
        {
            throw new FormatException("pm2 jlist printed no JSON array");
        }

        var apps = JsonSerializer.Deserialize(output.AsSpan(start), Pm2JsonContext.Default.ListPm2Process) ?? [];
        return apps.Select(Map).ToList();
    }

    private static ServiceState Map(Pm2Process p)
    {
        var env = p.Env ?? new Pm2Environment();
        var state = new ServiceState
        {
            Supervisor = SupervisorKind.Pm2,
            Name = p.Name,
            Id = p.PmId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Status = env.Status switch
            {
                "online" => ServiceStatus.Running,
                "launching" => ServiceStatus.Starting,
                "stopping" => ServiceStatus.Stopping,
                "stopped" => ServiceStatus.Stopped,
                "waiting restart" => ServiceStatus.Restarting,
                "errored" => ServiceStatus.Failed,
                "one-launch-status" => ServiceStatus.Exited,
                _ => ServiceStatus.Unknown,
            },
            RawState = env.Status,
            Restarts = (uint)Math.Max(0, env.RestartTime),
            MainPid = p.Pid,
            ExitCode = env.ExitCode ?? 0,
            MemoryBytes = p.Monit?.Memory ?? 0,
        };
        if (env.PmUptime > 0)
        {
            state.StateSince = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(env.PmUptime));
        }

        return state;
    }
}
