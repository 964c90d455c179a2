using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Fleet502.Collector.Notifiers.Formats;

/// <summary>Writes a JSON body with <see cref="Utf8JsonWriter"/>: no reflection, exact field names.</summary>
internal static class JsonBody
{
    // Relaxed escaping keeps emoji and non-ASCII readable; receivers parse JSON, not HTML.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(2048);
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            body(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
