using System.Buffers;
using Fleet502.Agent.Platform;

namespace Fleet502.Agent.Tailing;

/// <summary>
/// Follows one log file by path: reads what was appended, hands out complete lines with their
/// offsets, keeps a partial last line until its newline arrives, and cuts over-long lines
/// (flagged, never dropped, never stalling the file). When the path starts naming another file
/// (rename + create) it drains the old one first; when the file shrinks (copytruncate) it
/// starts again from the top.
/// </summary>
public sealed class FileFollower : IDisposable
{
    private readonly int _maxLineBytes;
    private byte[] _buffer;
    private int _filled;
    private bool _discardingLongLine;
    private FileStream? _stream;

    public FileFollower(string path, int maxLineBytes)
    {
        Path = path;
        _maxLineBytes = maxLineBytes;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(64 * 1024, maxLineBytes + 1));
    }

    public string Path { get; }

    /// <summary>(device, inode) of the file being read, null until it is opened.</summary>
    public FileIdentity? Identity { get; private set; }

    /// <summary>Offset of the first byte not yet handed out as part of a complete line.</summary>
    public long Offset { get; private set; }

    /// <summary>Opens the file, at its end (<paramref name="fromEnd"/>) or at <paramref name="offset"/>.</summary>
    public bool TryOpen(bool fromEnd, long offset = 0)
    {
        CloseStream();
        var identity = FileIdentity.Of(Path);
        if (identity is null)
        {
            return false;
        }

        try
        {
            _stream = new FileStream(Path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                BufferSize = 0,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        Identity = identity;
        var length = _stream.Length;
        Offset = fromEnd ? length : Math.Min(offset, length);
        _stream.Position = Offset;
        return true;
    }

    /// <summary>Reads everything available and calls <paramref name="handler"/> once per complete line.</summary>
    /// <returns>The number of bytes read.</returns>
    public long Poll(LineHandler handler)
    {
        if (_stream is null && !TryOpen(fromEnd: false))
        {
            return 0;
        }

        var total = ReadToEnd(handler);
        var current = FileIdentity.Of(Path);
        if (current is { } id && id != Identity)
        {
            // Rotated by rename: the old file is drained above; the new one starts at 0.
            total += ReadToEnd(handler);
            if (TryOpen(fromEnd: false))
            {
                total += ReadToEnd(handler);
            }
        }
        else if (_stream is not null && _stream.Length < _stream.Position)
        {
            // Truncated in place (copytruncate): start over.
            _filled = 0;
            _discardingLongLine = false;
            Offset = 0;
            _stream.Position = 0;
            total += ReadToEnd(handler);
        }

        return total;
    }

    private long ReadToEnd(LineHandler handler)
    {
        if (_stream is null)
        {
            return 0;
        }

        long total = 0;
        while (true)
        {
            int n;
            try
            {
                n = _stream.Read(_buffer, _filled, _buffer.Length - _filled);
            }
            catch (IOException)
            {
                return total;
            }

            if (n <= 0)
            {
                return total;
            }

            total += n;
            _filled += n;
            SplitLines(handler);
        }
    }

    private void SplitLines(LineHandler handler)
    {
        var data = _buffer.AsSpan(0, _filled);
        var start = 0;
        while (true)
        {
            var newline = data[start..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                break;
            }

            var line = data.Slice(start, newline);
            if (_discardingLongLine)
            {
                // The head of this line went out already, flagged as truncated.
                _discardingLongLine = false;
            }
            else if (line.Length > _maxLineBytes)
            {
                handler(line[.._maxLineBytes], Offset, truncated: true);
            }
            else
            {
                handler(line, Offset, truncated: false);
            }

            Offset += newline + 1;
            start += newline + 1;
        }

        var remaining = _filled - start;
        if (remaining > _maxLineBytes && !_discardingLongLine)
        {
            handler(data.Slice(start, _maxLineBytes), Offset, truncated: true);
            _discardingLongLine = true;
        }

        if (_discardingLongLine)
        {
            // Keep nothing of the long line's rest; its offset advances as it is skipped.
            Offset += remaining;
            _filled = 0;
            return;
        }

        data.Slice(start, remaining).CopyTo(_buffer);
        _filled = remaining;
    }

    private void CloseStream()
    {
        _stream?.Dispose();
        _stream = null;
        _filled = 0;
        _discardingLongLine = false;
    }

    public void Dispose()
    {
        CloseStream();
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
