using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet502.Agent.Sources.Supervisors.Docker;

/// <summary>
/// Containers from the Docker Engine API over <c>/var/run/docker.sock</c>: list, then inspect each
/// for OOMKilled, exit code, restart count and health.
/// </summary>
public sealed class DockerSupervisor(HttpClient http, string socketPath) : IServiceSupervisor
{
    private const string ApiVersion = "v1.41";

    public SupervisorKind Kind => SupervisorKind.Docker;

    public string ServicePrefix => "docker:";

    public bool IsPresent() => File.Exists(socketPath);

    public async Task<IReadOnlyList<ServiceState>> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var list = await GetAsync($"{ApiVersion}/containers/json?all=1", DockerJsonContext.Default.ListDockerContainerSummary, cancellationToken) ?? [];
            var states = new List<ServiceState>(list.Count);
            foreach (var summary in list)
            {
                var inspect = await GetAsync($"{ApiVersion}/containers/{summary.Id}/json", DockerJsonContext.Default.DockerContainerInspect, cancellationToken);
                if (inspect is not null)
                {
                    states.Add(Map(summary, inspect));
                }
            }

            return states;
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or JsonException
                                       or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // EACCES on docker.sock: name what is missing, once (the sampler logs it once).
            if (e.InnerException is SocketException { SocketErrorCode: SocketError.AccessDenied } || e is SocketException { SocketErrorCode: SocketError.AccessDenied })
            {
                throw new SupervisorUnavailableException(
                    $"Docker Engine API at {socketPath}: permission denied; add the agent's user to the socket's group (usually docker) or run as root. Containers are not reported", e);
            }

            throw new SupervisorUnavailableException($"Docker Engine API at {socketPath}: {e.Message}", e);
        }
    }

    internal static ServiceState Map(DockerContainerSummary summary, DockerContainerInspect inspect)
    {
        var s = inspect.State;
        var state = new ServiceState
        {
            Supervisor = SupervisorKind.Docker,
            Name = inspect.Name.TrimStart('/') is { Length: > 0 } n ? n : summary.Names.FirstOrDefault()?.TrimStart('/') ?? summary.Id,
            Id = inspect.Id,
            Status = s.Status switch
            {
                "running" => ServiceStatus.Running,
                "restarting" => ServiceStatus.Restarting,
                "created" or "paused" => ServiceStatus.Stopped,
                "removing" => ServiceStatus.Stopping,
                "exited" when s.OOMKilled || s.ExitCode != 0 => ServiceStatus.Exited,
                "exited" => ServiceStatus.Stopped,
                "dead" => ServiceStatus.Failed,
                _ => ServiceStatus.Unknown,
            },
            RawState = s.Status,
            Result = s.OOMKilled ? "oom-kill" : s.Error,
            OomKilled = s.OOMKilled,
            Restarts = (uint)Math.Max(0, inspect.RestartCount),
            MainPid = s.Pid,
            ExitCode = s.ExitCode,
            Health = s.Health?.Status ?? "",
            Detail = summary.Status,
        };
        var since = s.Status is "running" or "restarting" ? s.StartedAt : s.FinishedAt;
        if (since is { Year: > 1 } t)
        {
            state.StateSince = Timestamp.FromDateTimeOffset(t);
        }

        foreach (var p in summary.Ports)
        {
            state.Ports.Add(p.PublicPort > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{p.IP}:{p.PublicPort}->{p.PrivatePort}/{p.Type}")
                : string.Create(CultureInfo.InvariantCulture, $"{p.PrivatePort}/{p.Type}"));
        }

        return state;
    }

    private async Task<T?> GetAsync<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(path, cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return default; // removed between list and inspect
        }

        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonSerializer.DeserializeAsync(body, type, cancellationToken);
    }
}
