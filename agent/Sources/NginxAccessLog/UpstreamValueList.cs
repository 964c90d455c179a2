namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>
/// Splits <c>$upstream_*</c> values: attempts within one group are joined by <c>", "</c>, a switch to
/// another group (internal redirect) by <c>" : "</c>. All lists align element by element.
/// </summary>
public static class UpstreamValueList
{
    /// <summary>Number of attempts in the value (1 for a plain value, 0 for empty).</summary>
    public static int Count(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return 0;
        }

        // "host:port" never has spaces around its colon, so both separators are unambiguous.
        return 1 + value.IndexOfCount(", "u8) + value.IndexOfCount(" : "u8);
    }

    private static int IndexOfCount(this ReadOnlySpan<byte> value, ReadOnlySpan<byte> separator)
    {
        var count = 0;
        for (var at = value.IndexOf(separator); at >= 0; at = value.IndexOf(separator))
        {
            count++;
            value = value[(at + separator.Length)..];
        }

        return count;
    }

    /// <summary>The last attempt's value: the one that decided the response.</summary>
    public static ReadOnlySpan<byte> Last(ReadOnlySpan<byte> value)
    {
        var comma = value.LastIndexOf(", "u8);
        var colon = value.LastIndexOf(" : "u8);
        if (colon > comma)
        {
            return value[(colon + 3)..];
        }

        return comma >= 0 ? value[(comma + 2)..] : value;
    }

    /// <summary>
    /// Takes the next attempt's value off the front of <paramref name="rest"/> without allocating;
    /// <paramref name="groupSwitch"/> tells whether a <c>" : "</c> followed it. False when nothing is left.
    /// </summary>
    public static bool TakeNext(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> value, out bool groupSwitch)
    {
        groupSwitch = false;
        if (rest.IsEmpty)
        {
            value = default;
            return false;
        }

        // First separator of either kind: ", " (retry in the group) or " : " (internal redirect).
        for (var i = 0; i < rest.Length - 1; i++)
        {
            if (rest[i] == (byte)',' && rest[i + 1] == (byte)' ')
            {
                value = rest[..i];
                rest = rest[(i + 2)..];
                return true;
            }

            if (rest[i] == (byte)' ' && rest[i + 1] == (byte)':' && i + 2 < rest.Length && rest[i + 2] == (byte)' ')
            {
                value = rest[..i];
                rest = rest[(i + 3)..];
                groupSwitch = true;
                return true;
            }
        }

        value = rest;
        rest = default;
        return true;
    }

    /// <summary>True when the value crossed into another upstream group (<c>" : "</c>).</summary>
    public static bool SwitchedGroup(ReadOnlySpan<byte> value) => value.IndexOf(" : "u8) >= 0;

    /// <summary>Copies each attempt's value (<c>"-"</c> included) into <paramref name="into"/>.</summary>
    public static void Split(ReadOnlySpan<byte> value, List<string> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        while (!value.IsEmpty)
        {
            var comma = value.IndexOf(", "u8);
            var colon = value.IndexOf(" : "u8);
            int cut;
            int skip;
            if (colon >= 0 && (comma < 0 || colon < comma))
            {
                (cut, skip) = (colon, 3);
            }
            else if (comma >= 0)
            {
                (cut, skip) = (comma, 2);
            }
            else
            {
                into.Add(System.Text.Encoding.UTF8.GetString(value));
                return;
            }

            into.Add(System.Text.Encoding.UTF8.GetString(value[..cut]));
            value = value[(cut + skip)..];
        }
    }
}
