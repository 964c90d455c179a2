namespace Fleet502.Agent.Sources.NginxErrorLog;

/// <summary>Where a line was read: a value type, so recording it for a repeated error allocates nothing.</summary>
public readonly record struct LineOrigin(string Path, ulong Device, ulong Inode, long Offset);
