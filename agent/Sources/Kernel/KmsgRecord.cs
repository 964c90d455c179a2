using System.Globalization;

namespace Fleet502.Agent.Sources.Kernel;

/// <summary>One /dev/kmsg record: "priority,sequence,microseconds,flags[,...];message\n[ KEY=value\n]...".</summary>
public readonly record struct KmsgRecord(int Priority, ulong Sequence, ulong Microseconds, string Message)
{
    public static bool TryParse(string record, out KmsgRecord parsed)
    {
        parsed = default;
        var semicolon = record.IndexOf(';', StringComparison.Ordinal);
        if (semicolon < 0)
        {
            return false;
        }

        var fields = record[..semicolon].Split(',');
        if (fields.Length < 3
            || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var priority)
            || !ulong.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || !ulong.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var micros))
        {
            return false;
        }

        var end = record.IndexOf('\n', semicolon);
        parsed = new KmsgRecord(priority, sequence, micros, end < 0 ? record[(semicolon + 1)..] : record[(semicolon + 1)..end]);
        return true;
    }
}
