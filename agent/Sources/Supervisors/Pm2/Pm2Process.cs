using System.Text.Json.Serialization;

namespace Fleet502.Agent.Sources.Supervisors.Pm2;

/// <summary>One app of <c>pm2 jlist</c>.</summary>
public sealed class Pm2Process
{
    [JsonPropertyName("pid")]
    public int Pid { get; set; }

    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [JsonPropertyName("pm_id")]
    public int PmId { get; set; }

    [JsonPropertyName("monit")]
    public Pm2Monit? Monit { get; set; }

    [JsonPropertyName("pm2_env")]
    public Pm2Environment? Env { get; set; }
}
