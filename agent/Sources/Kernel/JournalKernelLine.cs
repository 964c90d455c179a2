using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Fleet502.Agent.Sources.Kernel;

/// <summary>
/// One line of <c>journalctl -k -o json</c>: the kernel message, its wall-clock time
/// (<c>__REALTIME_TIMESTAMP</c>) and the kernel's own stamp (<c>_SOURCE_MONOTONIC_TIMESTAMP</c>,
/// µs since boot, as /dev/kmsg gives it). MESSAGE is a string, or an array of bytes when it is
/// not valid UTF-8.
/// </summary>
public readonly record struct JournalKernelLine(string Message, DateTimeOffset Time, ulong KernelMicroseconds)
{
    public static bool TryParse(string line, out JournalKernelLine parsed)
    {
        parsed = default;
        string? message = null;
        long realtime = 0;
        ulong source = 0, monotonic = 0;
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(line));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                if (name.SequenceEqual("MESSAGE"u8))
                {
                    reader.Read();
                    message = reader.TokenType == JsonTokenType.StartArray ? ReadBytes(ref reader) : reader.GetString();
                }
                else if (name.SequenceEqual("__REALTIME_TIMESTAMP"u8))
                {
                    reader.Read();
                    Utf8Parser.TryParse(reader.ValueSpan, out realtime, out _);
                }
                else if (name.SequenceEqual("_SOURCE_MONOTONIC_TIMESTAMP"u8))
                {
                    reader.Read();
                    Utf8Parser.TryParse(reader.ValueSpan, out source, out _);
                }
                else if (name.SequenceEqual("__MONOTONIC_TIMESTAMP"u8))
                {
                    reader.Read();
                    Utf8Parser.TryParse(reader.ValueSpan, out monotonic, out _);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }

        if (message is null || realtime <= 0)
        {
            return false;
        }

        parsed = new JournalKernelLine(message, DateTimeOffset.FromUnixTimeMilliseconds(realtime / 1000).AddTicks(realtime % 1000 * 10), source != 0 ? source : monotonic);
        return true;
    }

    private static string ReadBytes(ref Utf8JsonReader reader)
    {
        var bytes = new List<byte>();
        while (reader.Read() && reader.TokenType == JsonTokenType.Number)
        {
            bytes.Add(reader.TryGetByte(out var b) ? b : (byte)'?');
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
