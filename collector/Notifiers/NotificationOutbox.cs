using System.Text.Json;
using System.Threading.Channels;
using Fleet502.Collector.Api;
using Fleet502.Collector.Incidents;
using Fleet502.Collector.Storage;
using Microsoft.Extensions.Options;

namespace Fleet502.Collector.Notifiers;

/// <summary>
/// Incident changes waiting to be delivered, one item per webhook. Items are saved in LiteDB before
/// they are queued and deleted only once delivered, so a restart loses none.
/// </summary>
internal sealed class NotificationOutbox
{
    private readonly Channel<OutboxItem> _queue = Channel.CreateUnbounded<OutboxItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CollectorDatabase _database;
    private readonly OutboxStore _store;
    private readonly IReadOnlyList<string> _webhooks;
    private readonly TimeProvider _time;

    public NotificationOutbox(CollectorDatabase database, OutboxStore store, IOptions<WebhooksOptions> options, TimeProvider time)
    {
        _database = database;
        _store = store;
        _webhooks = options.Value.Webhooks.Select(w => w.Name).ToList();
        _time = time;

        // Deliveries left over from the previous run go first.
        foreach (var pending in store.All())
        {
            _queue.Writer.TryWrite(pending);
        }
    }

    public ChannelReader<OutboxItem> Reader => _queue.Reader;

    /// <summary>
    /// Freezes the incident as the API shows it now and saves one item per webhook in the current
    /// write; the items are queued for sending once that write has committed.
    /// </summary>
    public void Enqueue(string incidentEvent, Incident incident)
    {
        if (_webhooks.Count == 0)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var json = JsonSerializer.Serialize(IncidentJson.From(incident), CollectorJsonContext.Default.IncidentJson);
        _database.Write(_ =>
        {
            foreach (var webhook in _webhooks)
            {
                var item = new OutboxItem(Guid.CreateVersion7(now).ToString("N"), webhook, incidentEvent, incident.Id, json, 0, now);
                _store.Save(item);
                _database.AfterCommit(() => _queue.Writer.TryWrite(item));
            }
        });
    }

    /// <summary>Puts a failed item back in the queue (it is still saved).</summary>
    public void Requeue(OutboxItem item) => _queue.Writer.TryWrite(item);
}
