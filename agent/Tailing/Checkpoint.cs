namespace Fleet502.Agent.Tailing;

/// <summary>Where to resume one file: the first byte not yet acknowledged by the collector.</summary>
public sealed record Checkpoint(
    string Path,
    ulong Device,
    ulong Inode,
    uint Generation,
    int FingerprintLength,
    ulong FingerprintHash,
    long Offset);
