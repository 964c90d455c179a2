using System.Net.Sockets;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet502.Agent.Sources.Supervisors.Supervisord;

/// <summary>
/// supervisord programs via <c>supervisor.getAllProcessInfo</c>. supervisord keeps no restart count,
/// so the agent counts one each time a program's start time moves on.
/// </summary>
public sealed class SupervisordSupervisor(SupervisordClient client, string socketPath) : IServiceSupervisor
{
    private readonly Dictionary<string, (long Start, uint Restarts)> _starts = new(StringComparer.Ordinal);

    public SupervisorKind Kind => SupervisorKind.Supervisord;

    public string ServicePrefix => "supervisord:";

    public bool IsPresent() => File.Exists(socketPath);

    public async Task<IReadOnlyList<ServiceState>> ReadAsync(CancellationToken cancellationToken)
    {
        object? result;
        try
        {
            result = await client.CallAsync("supervisor.getAllProcessInfo", cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or XmlRpcFaultException or FormatException
                                       or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new SupervisorUnavailableException($"supervisord at {socketPath}: {e.Message}", e);
        }

        var states = new List<ServiceState>();
        foreach (var item in result as List<object?> ?? [])
        {
            if (item is Dictionary<string, object?> info)
            {
                states.Add(Map(info));
            }
        }

        return states;
    }

    internal ServiceState Map(Dictionary<string, object?> info)
    {
        var name = Str(info, "name");
        var group = Str(info, "group");
        var full = group.Length == 0 || group == name ? name : $"{group}:{name}";
        var stateName = Str(info, "statename");
        var start = Int(info, "start");
        var restarts = 0u;
        if (_starts.TryGetValue(full, out var seen))
        {
            restarts = seen.Restarts + (start > seen.Start && seen.Start > 0 ? 1u : 0u);
        }

        _starts[full] = (Math.Max(start, seen.Start), restarts);
        var exit = Int(info, "exitstatus");
        var since = stateName is "RUNNING" or "STARTING" or "BACKOFF" ? start : Int(info, "stop");
        var state = new ServiceState
        {
            Supervisor = SupervisorKind.Supervisord,
            Name = full,
            Status = stateName switch
            {
                "RUNNING" => ServiceStatus.Running,
                "STARTING" => ServiceStatus.Starting,
                "STOPPING" => ServiceStatus.Stopping,
                "STOPPED" => ServiceStatus.Stopped,
                "BACKOFF" => ServiceStatus.Restarting,
                "FATAL" => ServiceStatus.Failed,
                "EXITED" => ServiceStatus.Exited,
                _ => ServiceStatus.Unknown,
            },
            RawState = stateName,
            Restarts = restarts,
            MainPid = (int)Int(info, "pid"),
            ExitCode = (int)exit,
            Detail = Str(info, "spawnerr") is { Length: > 0 } err ? err : Str(info, "description"),
        };
        if (since > 0)
        {
            state.StateSince = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeSeconds(since));
        }

        return state;
    }

    private static string Str(Dictionary<string, object?> d, string key) => d.GetValueOrDefault(key) as string ?? "";

    private static long Int(Dictionary<string, object?> d, string key) => d.GetValueOrDefault(key) is int i ? i : 0;
}
