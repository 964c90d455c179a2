namespace Fleet502.Agent.Shipping;

/// <summary>
/// Reuses <see cref="EncodedEvent"/>s and their buffers: a source rents one per event, the stream
/// returns it on acknowledgement, so a steady flow of events allocates nothing. Thread-safe; keeps at
/// most <see cref="MaxRetained"/> events and no buffer above <see cref="MaxRetainedBytes"/>, so a burst
/// or a long outage does not pin memory for ever.
/// </summary>
public static class EncodedEventPool
{
    public const int MaxRetained = 8192;
    public const int MaxRetainedBytes = 64 * 1024;
    private const int InitialCapacity = 2048;
    private static readonly Lock Gate = new();
    private static readonly Stack<EncodedEvent> Free = new();

    public static EncodedEvent Rent()
    {
        lock (Gate)
        {
            if (Free.TryPop(out var evt))
            {
                return evt;
            }
        }

        return new EncodedEvent(InitialCapacity);
    }

    /// <summary>Gives an event back; it must not be used afterwards.</summary>
    public static void Return(EncodedEvent evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        if (evt.Capacity > MaxRetainedBytes)
        {
            return;
        }

        evt.Reset();
        lock (Gate)
        {
            if (Free.Count < MaxRetained)
            {
                Free.Push(evt);
            }
        }
    }
}
