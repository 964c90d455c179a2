namespace Fleet502.Agent.Sources.NginxConfig;

/// <summary>nginx time values: "60", "60s", "1m30s", "500ms", "1h", "2d" (ngx_parse_time).</summary>
public static class NginxTime
{
    public static bool TryParseMilliseconds(string text, out uint milliseconds)
    {
        milliseconds = 0;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        ulong total = 0;
        var i = 0;
        while (i < text.Length)
        {
            ulong n = 0;
            var digits = 0;
            for (; i < text.Length && char.IsAsciiDigit(text[i]); i++, digits++)
            {
                n = n * 10 + (ulong)(text[i] - '0');
                if (n > uint.MaxValue)
                {
                    return false;
                }
            }

            if (digits == 0)
            {
                return false;
            }

            ulong unit = 1000;
            if (i < text.Length)
            {
                if (text.AsSpan(i).StartsWith("ms", StringComparison.Ordinal))
                {
                    unit = 1;
                    i += 2;
                }
                else
                {
                    unit = text[i] switch
                    {
                        's' => 1000UL,
                        'm' => 60_000UL,
                        'h' => 3_600_000UL,
                        'd' => 86_400_000UL,
                        'w' => 604_800_000UL,
                        'M' => 2_592_000_000UL,
                        'y' => 31_536_000_000UL,
                        _ => 0UL,
                    };
                    if (unit == 0)
                    {
                        return false;
                    }

                    i++;
                }
            }

            total += n * unit;
            if (total > uint.MaxValue)
            {
                return false;
            }
        }

        milliseconds = (uint)total;
        return true;
    }
}
