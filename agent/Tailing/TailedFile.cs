using System.Buffers;
using Fleet502.Agent.Platform;
using Microsoft.Win32.SafeHandles;

namespace Fleet502.Agent.Tailing;

/// <summary>
/// One open log file, identified by (device, inode) and a generation that changes when the file
/// is truncated. Hands out complete lines with their offsets, keeps a partial last line until its
/// newline arrives, and cuts over-long lines (flagged, never dropped, never stalling the file).
/// The handle stays open after a rename or delete, so nothing written before is lost.
/// </summary>
public sealed class TailedFile : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly int _maxLineBytes;
    private byte[] _buffer;
    private int _filled;
    private bool _discardingLongLine;
    private long _readPosition;

    internal TailedFile(string path, SafeFileHandle handle, FileIdentity identity, uint generation, long offset, int maxLineBytes, long now)
    {
        Path = path;
        _handle = handle;
        Identity = identity;
        Generation = generation;
        Offset = offset;
        _readPosition = offset;
        _maxLineBytes = maxLineBytes;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(64 * 1024, maxLineBytes + 1));
        Fingerprint = FileFingerprint.Of(handle);
        LastDataAt = now;
    }

    /// <summary>The path this file was last seen under.</summary>
    public string Path { get; internal set; }

    public FileIdentity Identity { get; }

    /// <summary>Changes when the file is truncated in place: (identity, generation, offset) names a line for ever.</summary>
    public uint Generation { get; private set; }

    public FileFingerprint Fingerprint { get; private set; }

    /// <summary>Offset of the first byte not yet handed out as part of a complete line.</summary>
    public long Offset { get; private set; }

    /// <summary>True once the path names another file or none: the file is drained, then closed.</summary>
    public bool Rotated { get; internal set; }

    /// <summary>Timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the last read that returned data.</summary>
    public long LastDataAt { get; private set; }

    /// <summary>Lines cut at the maximum length so far.</summary>
    public long TruncatedLines { get; private set; }

    internal SafeFileHandle Handle => _handle;

    /// <summary>The largest length this file was seen to have in its current generation.</summary>
    internal long SeenLength { get; set; }

    /// <summary>Bytes read so far (complete lines and a partial last one).</summary>
    internal long ReadPosition => _readPosition;

    /// <summary>Lines (a partial last one included) and bytes from <see cref="Offset"/> to the end, without handing them out.</summary>
    internal (long Lines, long Bytes) CountUnread()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long lines = 0;
            long position = Offset;
            var endsWithNewline = true;
            int n;
            while ((n = RandomAccess.Read(_handle, buffer, position)) > 0)
            {
                var chunk = buffer.AsSpan(0, n);
                lines += chunk.Count((byte)'\n');
                endsWithNewline = chunk[^1] == (byte)'\n';
                position += n;
            }

            return (lines + (endsWithNewline ? 0 : 1), position - Offset);
        }
        catch (IOException)
        {
            return (0, 0);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal long Length => RandomAccess.GetLength(_handle);

    /// <summary>Reads up to <paramref name="budget"/> bytes and calls <paramref name="handler"/> per complete line.</summary>
    /// <returns>The number of bytes read.</returns>
    internal long Read(FileLineHandler handler, long budget, long now)
    {
        long total = 0;
        while (total < budget)
        {
            int n;
            try
            {
                n = RandomAccess.Read(_handle, _buffer.AsSpan(_filled), _readPosition);
            }
            catch (IOException)
            {
                break;
            }

            if (n <= 0)
            {
                break;
            }

            _readPosition += n;
            total += n;
            _filled += n;
            SplitLines(handler);
        }

        if (total > 0)
        {
            LastDataAt = now;
            if (Fingerprint.Length < FileFingerprint.MaxLength)
            {
                // Grow the fingerprint with the file, while the content is the one we read.
                Fingerprint = FileFingerprint.Of(_handle);
            }
        }

        return total;
    }

    /// <summary>The file was truncated in place: start again from its first byte, as a new generation.</summary>
    internal void Restart(uint generation)
    {
        Generation = generation;
        Offset = 0;
        _readPosition = 0;
        SeenLength = 0;
        _filled = 0;
        _discardingLongLine = false;
        Fingerprint = FileFingerprint.Of(_handle);
    }

    /// <summary>True when more bytes were read than the file now holds, or its first bytes changed.</summary>
    internal bool WasTruncated() => Length < Math.Max(_readPosition, SeenLength) || !Fingerprint.Matches(_handle);

    private void SplitLines(FileLineHandler handler)
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
                TruncatedLines++;
                handler(this, line[.._maxLineBytes], Offset, truncated: true);
            }
            else
            {
                handler(this, line, Offset, truncated: false);
            }

            Offset += newline + 1;
            start += newline + 1;
        }

        var remaining = _filled - start;
        if (remaining > _maxLineBytes && !_discardingLongLine)
        {
            TruncatedLines++;
            handler(this, data.Slice(start, _maxLineBytes), Offset, truncated: true);
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

    public void Dispose()
    {
        _handle.Dispose();
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
