namespace Fleet502.Agent.Sources;

/// <summary>Byte-span helpers the log-line parsers share (no decoding, no allocation).</summary>
internal static class Utf8Scan
{
    /// <summary>The bytes between the first <paramref name="open"/> and the next <paramref name="close"/> (or the end).</summary>
    public static ReadOnlySpan<byte> Between(ReadOnlySpan<byte> s, ReadOnlySpan<byte> open, ReadOnlySpan<byte> close)
    {
        var at = s.IndexOf(open);
        if (at < 0)
        {
            return default;
        }

        var rest = s[(at + open.Length)..];
        var end = rest.IndexOf(close);
        return end >= 0 ? rest[..end] : rest;
    }

    /// <summary>Parses ASCII digits only (no sign, no spaces); false on any other byte.</summary>
    public static bool TryDigits(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        foreach (var b in s)
        {
            var d = b - (byte)'0';
            if ((uint)d > 9)
            {
                return false;
            }

            value = (value * 10) + d;
        }

        return true;
    }
}
