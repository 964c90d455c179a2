namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>One 10-second period of one file: its windows (by key hash, chained; and in creation order) and the first line's offset.</summary>
internal sealed class AccessPeriod
{
    public long Start { get; set; }
    public long FirstOffset { get; set; }
    public ulong Malformed { get; set; }
    public bool Late { get; set; }
    public Dictionary<ulong, AccessWindowState> Heads { get; } = [];
    public List<AccessWindowState> Windows { get; } = [];
}
