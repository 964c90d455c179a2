namespace Fleet502.Collector.Notifiers;

/// <summary>Delivers incident changes to one configured webhook, in its own payload format.</summary>
internal interface INotifier
{
    /// <summary>The webhook's name from config; the only thing logs say about it.</summary>
    string Name { get; }

    /// <summary>Sends one delivery; throws when the receiver did not accept it (after HTTP-level retries).</summary>
    Task SendAsync(OutboxItem item, CancellationToken cancellationToken);
}
