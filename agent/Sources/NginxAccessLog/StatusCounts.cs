using Fleet502.Agent.Shipping;
using Google.Protobuf.Collections;

namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>
/// Counts per HTTP status of one window: a window sees a few distinct statuses, so a short list of
/// (status, count) pairs searched linearly beats a 1000-slot table that must be cleared and scanned per window.
/// Grows (rarely, then kept: the window state is pooled).
/// </summary>
public sealed class StatusCounts
{
    private ushort[] _codes = new ushort[8];
    private ulong[] _counts = new ulong[8];

    public int Distinct { get; private set; }

    /// <summary>$status and $upstream_status are three digits; anything else is counted under 0.</summary>
    public void Add(int status)
    {
        var code = (ushort)((uint)status < 1000 ? status : 0);
        for (var i = 0; i < Distinct; i++)
        {
            if (_codes[i] == code)
            {
                _counts[i]++;
                return;
            }
        }

        if (Distinct == _codes.Length)
        {
            Array.Resize(ref _codes, Distinct * 2);
            Array.Resize(ref _counts, Distinct * 2);
        }

        // Kept in status order, so the encoded map is the same whatever order the lines came in.
        var at = Distinct;
        while (at > 0 && _codes[at - 1] > code)
        {
            _codes[at] = _codes[at - 1];
            _counts[at] = _counts[at - 1];
            at--;
        }

        _codes[at] = code;
        _counts[at] = 1;
        Distinct++;
    }

    public void CopyTo(MapField<uint, ulong> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        for (var i = 0; i < Distinct; i++)
        {
            map[_codes[i]] = _counts[i];
        }
    }

    /// <summary>Writes the map as protobuf: one (key 1, value 2) entry message per status.</summary>
    public void WriteTo(ref ProtoWriter writer, int field)
    {
        for (var i = 0; i < Distinct; i++)
        {
            writer.Tag(field, 2);
            writer.Varint((uint)(2 + ProtoWriter.VarintSize(_codes[i]) + ProtoWriter.VarintSize(_counts[i])));
            writer.Tag(1, 0);
            writer.Varint(_codes[i]);
            writer.Tag(2, 0);
            writer.Varint(_counts[i]);
        }
    }

    public void Reset() => Distinct = 0;
}
