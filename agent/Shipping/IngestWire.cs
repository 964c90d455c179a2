using Fleet502.Protos.V1;
using Grpc.Core;

namespace Fleet502.Agent.Shipping;

/// <summary>
/// Ingest.Connect as the agent calls it: the generated client's method, with a request marshaller
/// that writes <see cref="OutgoingMessage"/>s (pre-encoded events) instead of AgentMessage objects.
/// Same service, same method, same bytes on the wire.
/// </summary>
public static class IngestWire
{
    public static readonly Method<OutgoingMessage, CollectorMessage> Connect = new(
        MethodType.DuplexStreaming,
        Ingest.Descriptor.FullName,
        "Connect",
        Marshallers.Create<OutgoingMessage>(OutgoingMessage.Serialize, _ => throw new NotSupportedException("the agent never reads AgentMessages")),
        Marshallers.Create(
            (CollectorMessage message, SerializationContext context) => context.Complete(Google.Protobuf.MessageExtensions.ToByteArray(message)),
            context => CollectorMessage.Parser.ParseFrom(context.PayloadAsReadOnlySequence())));
}
