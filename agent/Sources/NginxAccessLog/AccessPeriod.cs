namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>One 10-second period of one file: its windows by "server\nupstream", and the first line's offset.</summary>
internal sealed class AccessPeriod
{
    public AccessPeriod()
    {
        Lookup = Windows.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public long Start { get; set; }
    public long FirstOffset { get; set; }
    public ulong Malformed { get; set; }
    public bool Late { get; set; }
    public Dictionary<string, AccessWindowState> Windows { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, AccessWindowState>.AlternateLookup<ReadOnlySpan<char>> Lookup { get; }
}
