using System.Buffers;

namespace Fleet502.Agent.Diagnosis;

/// <summary>
/// The complete lines at the end of a file, at most <c>maxBytes</c> of them: what a person would read
/// with <c>tail</c>. A line cut by the start of the window is skipped; an unfinished last line too.
/// </summary>
public static class RecentLines
{
    /// <summary>Calls <paramref name="onLine"/> with each line (without its newline) and its offset.</summary>
    public static void Read(string path, long maxBytes, LineAction onLine)
    {
        ArgumentNullException.ThrowIfNull(onLine);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        var length = file.Length;
        var start = Math.Max(0, length - maxBytes);
        var size = (int)(length - start);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, size));
        try
        {
            file.Position = start;
            var read = 0;
            while (read < size)
            {
                var n = file.Read(buffer, read, size - read);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            var span = buffer.AsSpan(0, read);
            var position = 0;
            if (start > 0)
            {
                // The window began inside a line: that partial line is not a line.
                var first = span.IndexOf((byte)'\n');
                position = first < 0 ? read : first + 1;
            }

            while (position < read)
            {
                var end = span[position..].IndexOf((byte)'\n');
                if (end < 0)
                {
                    break; // still being written
                }

                onLine(span.Slice(position, end), start + position);
                position += end + 1;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public delegate void LineAction(ReadOnlySpan<byte> line, long offset);
}
