using Fleet502.Agent.Platform;
using Fleet502.Protos.V1;
using Google.Protobuf;

namespace Fleet502.Agent.Shipping;

/// <summary>
/// One <see cref="Event"/> in its wire form, encoded once by its source: the spool and the stream carry
/// these bytes as they are. The buffer keeps <see cref="SeqRoom"/> bytes free in front of the event's
/// fields, where the stream writes the sequence number (field 1) when it assigns one; protobuf fields may
/// come in any order, so the result is a plain Event to any reader. Pooled (<see cref="EncodedEventPool"/>):
/// the stream returns it when the collector has acknowledged it.
/// </summary>
public sealed class EncodedEvent
{
    /// <summary>Tag + ten-byte varint: the most a sequence number field takes.</summary>
    public const int SeqRoom = 11;

    private byte[] _buffer;
    private int _start = SeqRoom;
    private int _end = SeqRoom;

    internal EncodedEvent(int capacity) => _buffer = new byte[SeqRoom + capacity];

    public ulong Seq { get; private set; }

    /// <summary>The line the event was read from, when it was read from a file.</summary>
    public SourcePosition? Source { get; set; }

    /// <summary>The Event message: sequence number (once assigned) and fields.</summary>
    public ReadOnlySpan<byte> Payload => _buffer.AsSpan(_start, _end - _start);

    /// <summary>Bytes the fields take, without the sequence number.</summary>
    public int FieldsLength => _end - SeqRoom;

    internal int Capacity => _buffer.Length - SeqRoom;

    /// <summary>Room for at least <paramref name="capacity"/> bytes of fields; what was written so far is kept.</summary>
    public Span<byte> Fields(int capacity)
    {
        if (_buffer.Length < SeqRoom + capacity)
        {
            var bigger = new byte[Math.Max(SeqRoom + capacity, _buffer.Length * 2)];
            _buffer.AsSpan(0, _end).CopyTo(bigger);
            _buffer = bigger;
        }

        return _buffer.AsSpan(SeqRoom);
    }

    /// <summary>The fields end at <paramref name="length"/> bytes into <see cref="Fields"/>.</summary>
    public void SetLength(int length) => _end = SeqRoom + length;

    /// <summary>Writes the sequence number in front of the fields.</summary>
    public void AssignSeq(ulong seq)
    {
        Seq = seq;
        if (seq == 0)
        {
            _start = SeqRoom;
            return;
        }

        var size = 1 + ProtoWriter.VarintSize(seq);
        _start = SeqRoom - size;
        var writer = new ProtoWriter(_buffer.AsSpan(_start, size));
        writer.UInt64(1, seq);
    }

    /// <summary>Decodes the event (tests, recovery, tools): allocates.</summary>
    public Event ToEvent() => Event.Parser.ParseFrom(Payload);

    /// <summary>Encodes an event built as a message (low-rate sources); its sequence number is left to the stream.</summary>
    public static EncodedEvent From(Event evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        var seq = evt.Seq;
        evt.Seq = 0;
        var size = evt.CalculateSize();
        var encoded = EncodedEventPool.Rent();
        evt.WriteTo(encoded.Fields(size)[..size]);
        encoded.SetLength(size);
        evt.Seq = seq;
        if (evt.Source is { } source && !string.IsNullOrEmpty(source.Path))
        {
            encoded.Source = new SourcePosition(new FileIdentity(source.Device, source.Inode), source.Generation, source.Offset);
        }

        return encoded;
    }

    /// <summary>An event read back from the spool, with the sequence number it was sent with.</summary>
    public static EncodedEvent FromPayload(ReadOnlySpan<byte> payload)
    {
        var evt = Event.Parser.ParseFrom(payload);
        var encoded = From(evt);
        encoded.AssignSeq(evt.Seq);
        return encoded;
    }

    internal void Reset()
    {
        _start = SeqRoom;
        _end = SeqRoom;
        Seq = 0;
        Source = null;
    }
}
