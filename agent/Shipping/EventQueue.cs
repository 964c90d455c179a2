using System.Threading.Channels;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Shipping;

/// <summary>
/// The hand-off from sources to the stream, as encoded events (the error log writes them itself;
/// other sources' messages are encoded here, once). Bounded: when the collector is away long enough
/// to fill it, sources wait, and the log files themselves are the buffer.
/// </summary>
public sealed class EventQueue
{
    public const int Capacity = 10_000;

    private readonly Channel<EncodedEvent> _channel;

    public EventQueue()
        : this(Capacity)
    {
    }

    /// <summary>A queue of another size (tests: a small one fills at once). Internal, so DI keeps the parameterless one.</summary>
    internal EventQueue(int capacity) => _channel = Channel.CreateBounded<EncodedEvent>(new BoundedChannelOptions(capacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });

    public ChannelReader<EncodedEvent> Reader => _channel.Reader;

    public ValueTask EnqueueAsync(EncodedEvent evt, CancellationToken cancellationToken) => _channel.Writer.WriteAsync(evt, cancellationToken);

    public ValueTask EnqueueAsync(Event evt, CancellationToken cancellationToken) => EnqueueAsync(EncodedEvent.From(evt), cancellationToken);

    /// <summary>Completes when there is room (true) or the queue is closed (false).</summary>
    public ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken) => _channel.Writer.WaitToWriteAsync(cancellationToken);

    /// <summary>Hands over without waiting; false when the queue is full.</summary>
    public bool TryEnqueue(EncodedEvent evt) => _channel.Writer.TryWrite(evt);
}
