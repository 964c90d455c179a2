using System.Text.Json.Serialization;

namespace Fleet502.Agent.Sources.Supervisors.Pm2;

/// <summary>The parts of <c>pm2_env</c> a diagnosis needs (the rest, including the app's environment, is skipped).</summary>
public sealed class Pm2Environment
{
    /// <summary>online, stopping, stopped, launching, errored, one-launch-status, waiting restart.</summary>
    [JsonPropertyName("status")]
    public string Status { get; set; } = "";

    [JsonPropertyName("restart_time")]
    public int RestartTime { get; set; }

    [JsonPropertyName("unstable_restarts")]
    public int UnstableRestarts { get; set; }

    /// <summary>Epoch milliseconds of the last start.</summary>
    [JsonPropertyName("pm_uptime")]
    public long PmUptime { get; set; }

    [JsonPropertyName("exit_code")]
    public int? ExitCode { get; set; }
}
