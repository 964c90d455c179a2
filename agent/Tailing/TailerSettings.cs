namespace Fleet502.Agent.Tailing;

/// <summary>How a <see cref="LogTailer"/> reads.</summary>
public sealed record TailerSettings
{
    /// <summary>Longer lines are cut and flagged. Default 64 KiB.</summary>
    public int MaxLineBytes { get; init; } = 64 * 1024;

    /// <summary>Files found at the very first start, without a checkpoint, are read from 0 instead of their end.</summary>
    public bool ReadFromStart { get; init; }

    /// <summary>A rotated or deleted file is closed after it has been idle this long. Default 5 s.</summary>
    public TimeSpan RotateWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often paths and globs are expanded again (sooner on an inotify event). Default 1 s.</summary>
    public TimeSpan DiscoveryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Bytes read from one file per pass, so one busy file cannot starve the others and events leave young. Default 512 KiB.</summary>
    public long ReadBudgetPerFile { get; init; } = 512 * 1024;
}
