namespace Fleet502.Agent.Tailing;

/// <summary>
/// Receives one complete line (without its newline) of <paramref name="file"/> and the byte
/// offset where it starts; <paramref name="truncated"/> when it was cut at the maximum length.
/// </summary>
public delegate void FileLineHandler(TailedFile file, ReadOnlySpan<byte> line, long offset, bool truncated);
