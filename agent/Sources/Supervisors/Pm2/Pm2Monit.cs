using System.Text.Json.Serialization;

namespace Fleet502.Agent.Sources.Supervisors.Pm2;

/// <summary><c>monit</c>: memory (bytes) and cpu (%).</summary>
public sealed class Pm2Monit
{
    [JsonPropertyName("memory")]
    public ulong Memory { get; set; }

    [JsonPropertyName("cpu")]
    public double Cpu { get; set; }
}
