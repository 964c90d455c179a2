using System.Globalization;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet502.Agent.Sources.Supervisors.Systemd;

/// <summary>
/// Parses <c>systemctl show</c> output (KEY=VALUE lines, one blank-line separated block per unit)
/// into service states. Timestamps are read in UTC (the agent runs systemctl with TZ=UTC) or as
/// "@epoch" (<c>--timestamp=unix</c>).
/// </summary>
public static class SystemctlShowParser
{
    /// <summary>The properties the agent asks for.</summary>
    public const string Properties = "Id,LoadState,ActiveState,SubState,Result,NRestarts,ExecMainCode,ExecMainStatus,MainPID,StateChangeTimestamp,MemoryCurrent,InvocationID";

    // siginfo codes systemd prints as ExecMainCode.
    private const int CldExited = 1;
    private const int CldKilled = 2;
    private const int CldDumped = 3;

    public static List<ServiceState> Parse(string output)
    {
        var states = new List<ServiceState>();
        var block = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                Flush(block, states);
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                block[line[..eq]] = line[(eq + 1)..];
            }
        }

        Flush(block, states);
        return states;
    }

    private static void Flush(Dictionary<string, string> p, List<ServiceState> into)
    {
        if (p.Count == 0)
        {
            return;
        }

        if (p.TryGetValue("Id", out var id) && p.GetValueOrDefault("LoadState") != "not-found")
        {
            into.Add(Map(id, p));
        }

        p.Clear();
    }

    private static ServiceState Map(string id, Dictionary<string, string> p)
    {
        var active = p.GetValueOrDefault("ActiveState", "");
        var sub = p.GetValueOrDefault("SubState", "");
        var result = p.GetValueOrDefault("Result", "");
        var code = Int(p, "ExecMainCode");
        var status = Int(p, "ExecMainStatus");
        var state = new ServiceState
        {
            Supervisor = SupervisorKind.Systemd,
            Name = id,
            Id = p.GetValueOrDefault("InvocationID", ""),
            Status = active switch
            {
                "active" or "reloading" => ServiceStatus.Running,
                "activating" when sub == "auto-restart" => ServiceStatus.Restarting,
                "activating" => ServiceStatus.Starting,
                "deactivating" => ServiceStatus.Stopping,
                "inactive" => ServiceStatus.Stopped,
                "failed" => ServiceStatus.Failed,
                _ => ServiceStatus.Unknown,
            },
            RawState = $"{active}/{sub}",
            Result = result,
            OomKilled = result == "oom-kill",
            Restarts = (uint)Math.Max(0, Int(p, "NRestarts")),
            MainPid = Int(p, "MainPID"),
            ExitCode = code == CldExited ? status : 0,
            ExitSignal = code is CldKilled or CldDumped ? status : 0,
        };
        if (ulong.TryParse(p.GetValueOrDefault("MemoryCurrent"), NumberStyles.None, CultureInfo.InvariantCulture, out var memory) && memory != ulong.MaxValue)
        {
            state.MemoryBytes = memory;
        }

        if (ParseTimestamp(p.GetValueOrDefault("StateChangeTimestamp", "")) is { } since)
        {
            state.StateSince = Timestamp.FromDateTimeOffset(since);
        }

        return state;
    }

    /// <summary>"Tue 2024-03-12 09:41:07 UTC" or "@1710236467"; null for anything else (empty, other zones).</summary>
    public static DateTimeOffset? ParseTimestamp(string value)
    {
        if (value.StartsWith('@') && long.TryParse(value.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
        {
            return DateTimeOffset.FromUnixTimeSeconds(epoch);
        }

        var parts = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 4 && parts[3] == "UTC"
            && DateTime.TryParseExact($"{parts[1]} {parts[2]}", "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var utc))
        {
            return new DateTimeOffset(utc, TimeSpan.Zero);
        }

        return null;
    }

    private static int Int(Dictionary<string, string> p, string key) =>
        int.TryParse(p.GetValueOrDefault(key), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : 0;
}
