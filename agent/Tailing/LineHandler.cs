namespace Fleet502.Agent.Tailing;

/// <summary>Receives one complete line (without its newline) and the byte offset where it starts.</summary>
public delegate void LineHandler(ReadOnlySpan<byte> line, long offset, bool truncated);
