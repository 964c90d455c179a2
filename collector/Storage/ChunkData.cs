using System.IO.Compression;
using Fleet502.Protos.V1;
using Google.Protobuf;
using LiteDB;

namespace Fleet502.Collector.Storage;

/// <summary>
/// An event chunk's <c>data</c>: the events as one EventBatch message, deflated. nginx lines repeat
/// themselves (same upstream, server, message), so a storm's chunks shrink several times, and with
/// them the pages each commit writes and syncs.
/// </summary>
internal static class ChunkData
{
    public const string Codec = "deflate";

    public static byte[] Write(EventBatch batch)
    {
        using var output = new MemoryStream(batch.CalculateSize() / 3 + 64);
        using (var deflate = new DeflateStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            batch.WriteTo(deflate);
        }

        return output.ToArray();
    }

    /// <summary>The chunk's events; chunks without a codec were stored uncompressed.</summary>
    public static EventBatch Read(BsonDocument chunk)
    {
        var data = chunk["data"].AsBinary;
        if (chunk["codec"] is { IsString: true } codec && codec.AsString == Codec)
        {
            using var inflate = new DeflateStream(new MemoryStream(data), CompressionMode.Decompress);
            return EventBatch.Parser.ParseFrom(inflate);
        }

        return EventBatch.Parser.ParseFrom(data);
    }
}
