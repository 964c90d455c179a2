using System.Text.Json.Serialization;

namespace Fleet502.Agent.Sources.PhpFpm;

/// <summary>php-fpm's <c>?json</c> status page (the keys contain spaces).</summary>
public sealed class FpmStatus
{
    [JsonPropertyName("pool")]
    public string Pool { get; set; } = "";

    [JsonPropertyName("process manager")]
    public string ProcessManager { get; set; } = "";

    [JsonPropertyName("start time")]
    public long StartTime { get; set; }

    [JsonPropertyName("start since")]
    public ulong StartSince { get; set; }

    [JsonPropertyName("accepted conn")]
    public ulong AcceptedConn { get; set; }

    [JsonPropertyName("listen queue")]
    public uint ListenQueue { get; set; }

    [JsonPropertyName("max listen queue")]
    public uint MaxListenQueue { get; set; }

    [JsonPropertyName("listen queue len")]
    public uint ListenQueueLen { get; set; }

    [JsonPropertyName("idle processes")]
    public uint IdleProcesses { get; set; }

    [JsonPropertyName("active processes")]
    public uint ActiveProcesses { get; set; }

    [JsonPropertyName("total processes")]
    public uint TotalProcesses { get; set; }

    [JsonPropertyName("max active processes")]
    public uint MaxActiveProcesses { get; set; }

    [JsonPropertyName("max children reached")]
    public ulong MaxChildrenReached { get; set; }

    [JsonPropertyName("slow requests")]
    public ulong SlowRequests { get; set; }
}
