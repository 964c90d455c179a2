namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>One entry of the aggregator's byte-keyed window cache: (period, server bytes, upstream bytes) → state.</summary>
internal sealed class KeyCacheSlot
{
    public AccessPeriod? Period { get; set; }
    public uint Hash { get; set; }
    public int ServerLength { get; set; }
    public int Length { get; set; }

    // Server and upstream are each cut to 256 bytes before they get here.
    public byte[] Key { get; } = new byte[520];
    public AccessWindowState? State { get; set; }
}
