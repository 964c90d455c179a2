using System.Buffers.Binary;
using System.IO.Hashing;
using Fleet502.Protos.V1;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Fleet502.Agent.Shipping;

/// <summary>
/// Every event handed to the stream is appended here first and stays until the collector
/// acknowledges it, so neither a collector outage nor an agent crash loses it. Segment files of
/// checksummed records (<c>[length u32][crc32 u32][Event protobuf]</c>, the very bytes the stream sends) named by their first
/// sequence number; a segment is deleted once all its events are acknowledged. A torn tail left by
/// kill -9 or a power cut is detected by length and checksum and cut, never replayed as garbage.
/// Bounded: when full, the stream stops taking events and the log files are the buffer.
/// </summary>
public sealed partial class Spool : IDisposable
{
    private const int HeaderBytes = 8;
    private const int MaxRecordBytes = 16 * 1024 * 1024;
    private readonly string _directory;
    private readonly long _maxBytes;
    private readonly long _segmentBytes;
    private readonly ILogger _logger;
    private readonly List<Segment> _segments = [];
    private FileStream? _current;
    private bool _dirty;

    public Spool(string directory, long maxBytes, long segmentBytes, ILogger logger)
    {
        _directory = directory;
        _maxBytes = maxBytes;
        _segmentBytes = segmentBytes;
        _logger = logger;
        Directory.CreateDirectory(directory);
    }

    /// <summary>Bytes held on disk.</summary>
    public long Bytes => _segments.Sum(s => s.Bytes);

    public bool IsFull => Bytes >= _maxBytes;

    /// <summary>Records cut from torn or corrupt segment tails during <see cref="Recover"/>.</summary>
    public long CutRecords { get; private set; }

    /// <summary>Reads back every unacknowledged event, in order, cutting torn tails.</summary>
    public List<EncodedEvent> Recover()
    {
        var events = new List<EncodedEvent>();
        foreach (var path in Directory.EnumerateFiles(_directory, "*.seg").Order(StringComparer.Ordinal))
        {
            var segment = new Segment(path);
            var good = ReadSegment(path, events, segment);
            var length = new FileInfo(path).Length;
            if (good < length)
            {
                CutRecords++;
                LogTornTail(path, good, length - good);
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
                stream.SetLength(good);
                stream.Flush(flushToDisk: true);
            }

            segment.Bytes = good;
            if (segment.LastSeq == 0)
            {
                File.Delete(path);
                continue;
            }

            _segments.Add(segment);
        }

        if (events.Count > 0)
        {
            LogRecovered(events.Count, Bytes);
        }

        return events;
    }

    /// <summary>Appends events that were just given sequence numbers, as the bytes the stream sends.</summary>
    public void Append(IReadOnlyList<EncodedEvent> events)
    {
        if (events.Count == 0)
        {
            return;
        }

        if (_current is null || _segments[^1].Bytes >= _segmentBytes)
        {
            StartSegment(events[0].Seq);
        }

        var segment = _segments[^1];
        Span<byte> header = stackalloc byte[HeaderBytes];
        foreach (var evt in events)
        {
            var payload = evt.Payload;
            BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)payload.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header[4..], Crc32.HashToUInt32(payload));
            _current!.Write(header);
            _current.Write(payload);
            segment.Bytes += HeaderBytes + payload.Length;
            segment.LastSeq = evt.Seq;
        }

        _current!.Flush();
        _dirty = true;
    }

    /// <summary>Makes appended records durable (fsync). Called about once a second, not per record.</summary>
    public void Sync()
    {
        if (_dirty && _current is not null)
        {
            _current.Flush(flushToDisk: true);
            _dirty = false;
        }
    }

    /// <summary>Deletes every segment whose events are all acknowledged.</summary>
    public void Acknowledge(ulong seq)
    {
        while (_segments.Count > 0 && _segments[0].LastSeq <= seq)
        {
            var segment = _segments[0];
            if (_segments.Count == 1 && _current is not null)
            {
                _current.Dispose();
                _current = null;
            }

            File.Delete(segment.Path);
            _segments.RemoveAt(0);
        }
    }

    private void StartSegment(ulong firstSeq)
    {
        Sync();
        _current?.Dispose();
        var path = Path.Combine(_directory, $"{firstSeq:D20}.seg");
        _current = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        _segments.Add(new Segment(path) { Bytes = _current.Length });
    }

    // Returns the length of the valid prefix.
    private static long ReadSegment(string path, List<EncodedEvent> into, Segment segment)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        Span<byte> header = stackalloc byte[HeaderBytes];
        long good = 0;
        while (true)
        {
            if (stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes)
            {
                return good;
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            if (length > MaxRecordBytes)
            {
                return good;
            }

            var payload = new byte[length];
            if (stream.ReadAtLeast(payload, (int)length, throwOnEndOfStream: false) < length || Crc32.HashToUInt32(payload) != crc)
            {
                return good;
            }

            EncodedEvent evt;
            try
            {
                evt = EncodedEvent.FromPayload(payload);
            }
            catch (InvalidProtocolBufferException)
            {
                return good;
            }

            into.Add(evt);
            segment.LastSeq = evt.Seq;
            good += HeaderBytes + length;
        }
    }

    public void Dispose()
    {
        Sync();
        _current?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spool segment {Path} had a torn tail: cut {Bytes} bytes after offset {Offset}")]
    private partial void LogTornTail(string path, long offset, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recovered {Count} unacknowledged events ({Bytes} bytes) from the spool")]
    private partial void LogRecovered(int count, long bytes);

    private sealed class Segment(string path)
    {
        public string Path { get; } = path;

        public long Bytes { get; set; }

        public ulong LastSeq { get; set; }
    }
}
