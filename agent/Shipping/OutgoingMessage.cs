using Fleet502.Protos.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Fleet502.Agent.Shipping;

/// <summary>
/// An <see cref="AgentMessage"/> as the agent sends it: a Hello, or an EventBatch whose events are
/// already encoded (<see cref="EncodedEvent"/>), so the bytes that went to the spool go on the wire
/// as they are, without building an Event per event again.
/// </summary>
public sealed class OutgoingMessage
{
    private const int AgentMessageBatchTag = (2 << 3) | 2;
    private const int EventBatchEventsTag = (1 << 3) | 2;

    private OutgoingMessage(Hello? hello, IReadOnlyList<EncodedEvent>? events)
    {
        HelloMessage = hello;
        Events = events;
    }

    public Hello? HelloMessage { get; }

    public IReadOnlyList<EncodedEvent>? Events { get; }

    public static OutgoingMessage ForHello(Hello hello) => new(hello, null);

    public static OutgoingMessage ForBatch(IReadOnlyList<EncodedEvent> events) => new(null, events);

    /// <summary>Bytes of the EventBatch message (without its own tag and length).</summary>
    public static long BatchLength(IReadOnlyList<EncodedEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        long length = 0;
        foreach (var evt in events)
        {
            var payload = evt.Payload.Length;
            length += 1 + ProtoWriter.VarintSize((uint)payload) + payload;
        }

        return length;
    }

    /// <summary>The gRPC marshaller's serializer: writes the message into gRPC's own buffers.</summary>
    public static void Serialize(OutgoingMessage message, SerializationContext context)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(context);
        if (message.HelloMessage is { } hello)
        {
            context.Complete(new AgentMessage { Hello = hello }.ToByteArray());
            return;
        }

        var events = message.Events ?? [];
        var batch = BatchLength(events);
        var total = 1 + ProtoWriter.VarintSize((ulong)batch) + batch;
        context.SetPayloadLength(checked((int)total));
        var output = context.GetBufferWriter();
        var head = output.GetSpan(16);
        var writer = new ProtoWriter(head);
        writer.Varint(AgentMessageBatchTag);
        writer.Varint((ulong)batch);
        output.Advance(writer.Position);
        foreach (var evt in events)
        {
            var payload = evt.Payload;
            var span = output.GetSpan(16 + payload.Length);
            writer = new ProtoWriter(span);
            writer.Varint(EventBatchEventsTag);
            writer.Varint((uint)payload.Length);
            writer.Raw(payload);
            output.Advance(writer.Position);
        }

        context.Complete();
    }
}
