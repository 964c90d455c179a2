using System.Threading.Channels;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Shipping;

/// <summary>
/// The hand-off from sources to the stream. Bounded: when the collector is away long enough to
/// fill it, sources wait, and the log files themselves are the buffer.
/// </summary>
public sealed class EventQueue
{
    private readonly Channel<Event> _channel = Channel.CreateBounded<Event>(new BoundedChannelOptions(10_000)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });

    public ChannelReader<Event> Reader => _channel.Reader;

    public ValueTask EnqueueAsync(Event evt, CancellationToken cancellationToken) => _channel.Writer.WriteAsync(evt, cancellationToken);
}
