namespace Fleet502.Agent.Tailing;

/// <summary>The on-disk form of <see cref="CheckpointStore"/>: <c>checkpoints.json</c> in the state directory.</summary>
public sealed class CheckpointFile
{
    public int Version { get; set; } = 1;

    /// <summary>The next generation number to hand out (generations never repeat on this host).</summary>
    public uint NextGeneration { get; set; } = 1;

    public List<Checkpoint> Checkpoints { get; set; } = [];
}
