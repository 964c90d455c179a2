using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.NginxErrorLog;

/// <summary>
/// Where a line was read: a value type, so recording it for a repeated error allocates nothing.
/// (Device, Inode, Generation, Offset) names the line for ever; the collector de-duplicates on it.
/// </summary>
public readonly record struct LineOrigin(string Path, ulong Device, ulong Inode, long Offset, uint Generation = 0)
{
    public SourceRef ToSourceRef() => new()
    {
        Path = Path ?? "",
        Device = Device,
        Inode = Inode,
        Offset = Offset,
        Generation = Generation,
    };
}
