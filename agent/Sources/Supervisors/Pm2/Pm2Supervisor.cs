using System.Text.Json;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.Supervisors.Pm2;

/// <summary>
/// pm2 apps via <c>pm2 jlist</c>. Each call starts node (≈0.3 s CPU), so results are reused
/// between <paramref name="interval"/>s; only asked while the pm2 daemon runs (never spawns it).
/// </summary>
public sealed class Pm2Supervisor(string pm2, string pm2Home, TimeSpan interval, TimeProvider time) : IServiceSupervisor
{
    private IReadOnlyList<ServiceState> _last = [];
    private long _lastRun = long.MinValue;

    public SupervisorKind Kind => SupervisorKind.Pm2;

    public string ServicePrefix => "pm2:";

    public bool IsPresent() => File.Exists(Path.Combine(pm2Home, "pm2.pid"));

    public async Task<IReadOnlyList<ServiceState>> ReadAsync(CancellationToken cancellationToken)
    {
        if (_lastRun != long.MinValue && time.GetElapsedTime(_lastRun) < interval)
        {
            return _last;
        }

        var output = await CommandRunner.RunAsync(pm2, ["jlist"], new Dictionary<string, string> { ["PM2_HOME"] = pm2Home }, TimeSpan.FromSeconds(20), cancellationToken);
        try
        {
            _last = Pm2JlistParser.Parse(output);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw new SupervisorUnavailableException($"pm2 jlist: {e.Message}", e);
        }

        _lastRun = time.GetTimestamp();
        return _last;
    }
}
