namespace Fleet502.Collector;

/// <summary>
/// Every log message of the collector, source-generated, with stable event ids by stage:
/// 1xx hosting, 2xx ingest, 3xx storage, 4xx correlation, 5xx notifiers.
/// Never pass a token or a webhook URL to any of them.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(100, LogLevel.Information, "Fleet502 collector listening grpc={Grpc} http={Http}")]
    public static partial void Listening(ILogger logger, string grpc, string http);

    [LoggerMessage(101, LogLevel.Information, "Webhook {Webhook} configured (format {Format})")]
    public static partial void WebhookConfigured(ILogger logger, string webhook, string format);

    [LoggerMessage(200, LogLevel.Warning, "Agent stream from {Peer} refused: missing or unknown agent token")]
    public static partial void AgentUnauthenticated(ILogger logger, string peer);

    [LoggerMessage(201, LogLevel.Information, "Agent {AgentId} ({Hostname}, version {Version}) connected; last seq {LastSeq}")]
    public static partial void AgentConnected(ILogger logger, string agentId, string hostname, string version, ulong lastSeq);

    [LoggerMessage(202, LogLevel.Information, "Agent {AgentId} disconnected")]
    public static partial void AgentDisconnected(ILogger logger, string agentId);

    [LoggerMessage(203, LogLevel.Warning, "Agent {AgentId}: skipped malformed event seq {Seq}: {Reason}")]
    public static partial void EventRejected(ILogger logger, string agentId, ulong seq, string reason);

    [LoggerMessage(204, LogLevel.Warning, "Agent {AgentId}: skipped a {Kind} message; only batches may follow Hello")]
    public static partial void MessageSkipped(ILogger logger, string agentId, string kind);

    [LoggerMessage(205, LogLevel.Debug, "Agent {AgentId}: batch of {Count}, stored {Stored}, duplicates {Duplicates}, rejected {Rejected}, ack {Ack}")]
    public static partial void BatchStored(ILogger logger, string agentId, int count, int stored, int duplicates, int rejected, ulong ack);

    [LoggerMessage(206, LogLevel.Error, "Agent {AgentId}: correlating stored events failed")]
    public static partial void CorrelationFailed(ILogger logger, Exception exception, string agentId);

    [LoggerMessage(300, LogLevel.Information, "Opened LiteDB {Path}")]
    public static partial void DatabaseOpened(ILogger logger, string path);

    [LoggerMessage(301, LogLevel.Information, "Retention deleted {Count} events older than {Cutoff}")]
    public static partial void RetentionDeleted(ILogger logger, int count, DateTimeOffset cutoff);

    [LoggerMessage(302, LogLevel.Error, "Retention run failed; trying again at the next interval")]
    public static partial void RetentionFailed(ILogger logger, Exception exception);

    [LoggerMessage(400, LogLevel.Information, "Correlator restored {Incidents} active incidents and {Hosts} hosts")]
    public static partial void CorrelatorRestored(ILogger logger, int incidents, int hosts);

    [LoggerMessage(411, LogLevel.Debug, "Group commit: {Batches} batches, {Events} events in {Milliseconds} ms ({AppendMilliseconds} ms stored, {CorrelatedMilliseconds} ms correlated, the rest to commit); allocated {StoreKiB} KiB storing, {CorrelateKiB} KiB correlating, {CommitKiB} KiB committing")]
    public static partial void GroupCommitted(ILogger logger, int batches, int events, double appendMilliseconds, double correlatedMilliseconds, double milliseconds, long storeKiB, long correlateKiB, long commitKiB);

    [LoggerMessage(410, LogLevel.Information, "Correlator rebuilt host state from {Count} stored events of the last {Lookback}")]
    public static partial void CorrelatorReplayed(ILogger logger, int count, TimeSpan lookback);

    [LoggerMessage(401, LogLevel.Warning, "Incident {IncidentId} opened: {Summary}")]
    public static partial void IncidentOpened(ILogger logger, string incidentId, string summary);

    [LoggerMessage(402, LogLevel.Warning, "Incident {IncidentId} re-opened (flap {FlapCount}): {Summary}")]
    public static partial void IncidentReopened(ILogger logger, string incidentId, int flapCount, string summary);

    [LoggerMessage(403, LogLevel.Information, "Incident {IncidentId} resolved: {Summary}")]
    public static partial void IncidentResolved(ILogger logger, string incidentId, string summary);

    [LoggerMessage(404, LogLevel.Error, "Resolution sweep failed; trying again at the next interval")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(500, LogLevel.Information, "Webhook {Webhook}: delivered {Event} for incident {IncidentId}")]
    public static partial void WebhookDelivered(ILogger logger, string webhook, string @event, string incidentId);

    [LoggerMessage(501, LogLevel.Warning, "Webhook {Webhook}: {Outcome}; retry {Attempt} in {Delay}")]
    public static partial void WebhookRetrying(ILogger logger, string webhook, int attempt, TimeSpan delay, string outcome);

    [LoggerMessage(502, LogLevel.Warning, "Webhook {Webhook}: delivery of {Event} failed ({Outcome}), attempt {Attempt} of {MaxAttempts}; next try in {Delay}")]
    public static partial void WebhookFailed(ILogger logger, string webhook, string @event, string outcome, int attempt, int maxAttempts, TimeSpan delay);

    [LoggerMessage(503, LogLevel.Error, "Webhook {Webhook}: gave up on {Event} for incident {IncidentId} after {Attempts} attempts")]
    public static partial void WebhookGaveUp(ILogger logger, string webhook, string @event, string incidentId, int attempts);

    [LoggerMessage(504, LogLevel.Warning, "Webhook {Webhook} is no longer configured; its pending delivery was dropped")]
    public static partial void WebhookUnknown(ILogger logger, string webhook);
}
