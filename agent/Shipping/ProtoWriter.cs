using System.Runtime.CompilerServices;
using System.Text;

namespace Fleet502.Agent.Shipping;

/// <summary>
/// Writes protobuf fields straight into a caller's buffer, so a hot source can encode an event once,
/// without building the message objects. Default values are skipped, as Google.Protobuf does. The
/// caller reserves enough room (see <see cref="MaxUtf8Bytes"/>); nothing here grows the buffer.
/// </summary>
public ref struct ProtoWriter(Span<byte> buffer, int position = 0)
{
    /// <summary>Room a nested message's length prefix takes before <see cref="EndMessage"/> knows it.</summary>
    private const int LengthRoom = 5;
    private readonly Span<byte> _buffer = buffer;

    public int Position { get; private set; } = position;

    /// <summary>Bytes a string field can take at most: invalid UTF-8 is written as U+FFFD (3 bytes) per bad byte.</summary>
    public static int MaxUtf8Bytes(int length) => 3 * length;

    public static int VarintSize(ulong value) => value < 0x80 ? 1 : (64 - System.Numerics.BitOperations.LeadingZeroCount(value) + 6) / 7;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Varint(ulong value)
    {
        if (value < 0x80)
        {
            _buffer[Position++] = (byte)value;
            return;
        }

        VarintSlow(value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Tag(int field, int wireType) => Varint((uint)((field << 3) | wireType));

    private void VarintSlow(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer[Position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _buffer[Position++] = (byte)value;
    }

    public void UInt64(int field, ulong value)
    {
        if (value != 0)
        {
            Tag(field, 0);
            Varint(value);
        }
    }

    /// <summary>int32/int64 fields: negative numbers take ten bytes, as the wire format says.</summary>
    public void Int64(int field, long value) => UInt64(field, (ulong)value);

    public void Bool(int field, bool value)
    {
        if (value)
        {
            Tag(field, 0);
            _buffer[Position++] = 1;
        }
    }

    /// <summary>A string field from UTF-8 bytes as read; invalid sequences become U+FFFD, as <see cref="Encoding.UTF8"/> decodes them.</summary>
    public void Utf8(int field, scoped ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return;
        }

        if (!System.Text.Unicode.Utf8.IsValid(value))
        {
            // Rare (hostile or binary input): the slow path allocates.
            Utf8(field, Encoding.UTF8.GetString(value));
            return;
        }

        Tag(field, 2);
        Varint((uint)value.Length);
        value.CopyTo(_buffer[Position..]);
        Position += value.Length;
    }

    /// <summary>A string field from bytes the caller has checked are valid UTF-8 (e.g. an ASCII-delimited slice of a valid line).</summary>
    public void ValidUtf8(int field, scoped ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return;
        }

        Tag(field, 2);
        Varint((uint)value.Length);
        value.CopyTo(_buffer[Position..]);
        Position += value.Length;
    }

    public void Utf8(int field, string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        Tag(field, 2);
        Varint((uint)Encoding.UTF8.GetByteCount(value));
        Position += Encoding.UTF8.GetBytes(value, _buffer[Position..]);
    }

    /// <summary>google.protobuf.Timestamp as a nested field.</summary>
    public void Timestamp(int field, long seconds, int nanos)
    {
        Tag(field, 2);
        var size = (seconds != 0 ? 1 + VarintSize((ulong)seconds) : 0) + (nanos != 0 ? 1 + VarintSize((ulong)(long)nanos) : 0);
        Varint((uint)size);
        Int64(1, seconds);
        Int64(2, nanos);
    }

    /// <summary>Starts a nested message whose length is not known yet; returns the mark for <see cref="EndMessage"/>.</summary>
    public int BeginMessage(int field)
    {
        Tag(field, 2);
        var mark = Position;
        Position += LengthRoom;
        return mark;
    }

    /// <summary>Writes the nested message's length and closes the gap left for it.</summary>
    public void EndMessage(int mark)
    {
        var bodyStart = mark + LengthRoom;
        var length = Position - bodyStart;
        var size = VarintSize((uint)length);
        var end = Position;
        Position = mark;
        Varint((uint)length);
        if (size < LengthRoom)
        {
            _buffer[bodyStart..end].CopyTo(_buffer[(mark + size)..]);
        }

        Position = mark + size + length;
    }

    /// <summary>Copies bytes that are already protobuf fields.</summary>
    public void Raw(scoped ReadOnlySpan<byte> fields)
    {
        fields.CopyTo(_buffer[Position..]);
        Position += fields.Length;
    }
}
