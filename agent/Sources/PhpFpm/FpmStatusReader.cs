using System.Net.Sockets;
using System.Text.Json;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet502.Agent.Sources.PhpFpm;

/// <summary>
/// Fetches one pool's status page over FastCGI (<c>pm.status_path</c>, <c>?json</c>). Point it at
/// <c>pm.status_listen</c> when set: that socket is served even when every child is busy.
/// </summary>
public sealed class FpmStatusReader(FastCgiEndpoint endpoint, string statusPath, TimeSpan timeout, uint maxChildren = 0, string poolName = "")
{
    private ulong _lastMaxChildrenReached;
    private ulong _lastStartSince = ulong.MaxValue;

    public FastCgiEndpoint Endpoint => endpoint;

    public string StatusPath => statusPath;

    /// <summary>pm.max_children from the pool file (0: unknown).</summary>
    public uint MaxChildren => maxChildren;

    public async Task<FpmPool> ReadAsync(CancellationToken cancellationToken)
    {
        var pool = new FpmPool { Endpoint = endpoint.Text, Pool = poolName, MaxChildren = maxChildren };
        FastCgiResponse response;
        try
        {
            response = await FastCgiClient.GetAsync(endpoint, statusPath, "json", statusPath, timeout, cancellationToken);
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException)
        {
            pool.Error = e is SocketException se ? $"{se.SocketErrorCode}: {se.Message}" : e.Message;
            return pool;
        }

        if (response.Status != 200)
        {
            pool.Error = $"status page answered {response.Status} (is pm.status_path = {statusPath} set for this pool?)";
            return pool;
        }

        FpmStatus? status;
        try
        {
            status = JsonSerializer.Deserialize(response.Body, FpmStatusJsonContext.Default.FpmStatus);
        }
        catch (JsonException e)
        {
            pool.Error = "status page is not php-fpm JSON: " + e.Message;
            return pool;
        }

        if (status is null)
        {
            pool.Error = "empty status page";
            return pool;
        }

        pool.Reachable = true;
        pool.Pool = status.Pool;
        pool.ProcessManager = status.ProcessManager;
        pool.StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeSeconds(status.StartTime));
        pool.StartSince = status.StartSince;
        pool.AcceptedConn = status.AcceptedConn;
        pool.ListenQueue = status.ListenQueue;
        pool.MaxListenQueue = status.MaxListenQueue;
        pool.ListenQueueLen = status.ListenQueueLen;
        pool.IdleProcesses = status.IdleProcesses;
        pool.ActiveProcesses = status.ActiveProcesses;
        pool.TotalProcesses = status.TotalProcesses;
        pool.MaxActiveProcesses = status.MaxActiveProcesses;
        pool.MaxChildrenReached = status.MaxChildrenReached;
        pool.SlowRequests = status.SlowRequests;

        // Counters restart with the pool: only a rise within one pool lifetime means saturation now.
        var restarted = status.StartSince < _lastStartSince && _lastStartSince != ulong.MaxValue;
        var reachedNow = !restarted && status.MaxChildrenReached > _lastMaxChildrenReached;
        pool.Saturated = reachedNow || (status.ListenQueue > 0 && status.IdleProcesses == 0);
        _lastMaxChildrenReached = status.MaxChildrenReached;
        _lastStartSince = status.StartSince;
        return pool;
    }
}
