using System.Threading.Channels;
using Fleet502.Collector.Correlation;
using Fleet502.Collector.Storage;
using Fleet502.Protos.V1;
using LiteDB;

namespace Fleet502.Collector.Ingest;

/// <summary>
/// Group commit: the batches of every agent stream wait here, and one writer stores all that are
/// waiting (and the incidents they change) in one transaction, so one journal flush serves many
/// agents instead of one. A batch's ack still means its events are durable: it is answered only
/// after the commit that holds it.
/// </summary>
internal sealed class IngestWriter(
    CollectorDatabase database,
    EventStore events,
    AgentStore agents,
    Correlator correlator,
    TimeProvider time,
    ILogger<IngestWriter> logger) : BackgroundService
{
    /// <summary>Most batches in one transaction: bounds a commit's time (and so its batches' ack latency).</summary>
    public const int MaxBatchesPerCommit = 512;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Stores the batch with whatever else is waiting; completes after the commit.</summary>
    public Task<AppendResult> WriteAsync(string agentId, IReadOnlyList<CheckedEvent> batch)
    {
        // Serializing and deflating the chunk happens here, on the agent's stream, in parallel.
        var prepared = EventStore.Prepare(batch, time.GetUtcNow());
        var pending = new Pending(agentId, batch, prepared, new TaskCompletionSource<AppendResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            pending.Done.SetException(new InvalidOperationException("the collector is stopping"));
        }

        return pending.Done.Task;
    }

    /// <summary>
    /// Registers a connecting agent (Hello) with whatever else is waiting: a thousand agents
    /// reconnecting after a collector restart share commits instead of syncing the disk each.
    /// </summary>
    public async Task<AgentRecord> ConnectAsync(Hello hello)
    {
        var pending = new Pending(hello.AgentId, [], null, new TaskCompletionSource<AppendResult>(TaskCreationOptions.RunContinuationsAsynchronously)) { Hello = hello };
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("the collector is stopping");
        }

        await pending.Done.Task;
        return pending.Registered!;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var group = new List<Pending>(MaxBatchesPerCommit);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (group.Count < MaxBatchesPerCommit && _queue.Reader.TryRead(out var next))
                {
                    group.Add(next);
                }

                Commit(group);
                group.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            try
            {
                correlator.Flush(); // counts not yet saved
            }
            catch (Exception ex) when (ex is LiteException or IOException)
            {
                Log.CorrelationFailed(logger, ex, "shutdown flush");
            }

            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out var left))
            {
                left.Done.TrySetCanceled(CancellationToken.None); // never acked: the agent resends
            }
        }
    }

    private void Commit(List<Pending> group)
    {
        var results = new AppendResult[group.Count];
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var appendMs = 0.0;
        var correlatedMs = 0.0;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        long storedBytes = 0, correlatedBytes = 0;
        try
        {
            database.Write(_ =>
            {
                var now = time.GetUtcNow();
                var stored = new List<(string, IReadOnlyList<Event>)>(group.Count);
                for (var i = 0; i < group.Count; i++)
                {
                    if (group[i].Hello is { } hello)
                    {
                        var agent = agents.Register(hello, now);
                        correlator.UpdateAgent(agent);
                        correlator.SetConnected(agent.Id, connected: true);
                        group[i].Registered = agent;
                        results[i] = new AppendResult([], agent.LastSeq, 0, 0);
                        continue;
                    }

                    results[i] = events.Append(group[i].AgentId, group[i].Batch, now, group[i].Prepared);
                    stored.Add((group[i].AgentId, results[i].Stored));
                }

                appendMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                storedBytes = GC.GetAllocatedBytesForCurrentThread();
                try
                {
                    correlator.ObserveAll(stored);
                }
                catch (Exception ex) when (ex is not LiteException)
                {
                    // The events are stored either way; a correlation bug must not make the agents resend them.
                    Log.CorrelationFailed(logger, ex, string.Join(',', group.Select(p => p.AgentId).Distinct()));
                }

                correlatedMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                correlatedBytes = GC.GetAllocatedBytesForCurrentThread();
            });
        }
        catch (Exception ex)
        {
            foreach (var pending in group)
            {
                if (pending.Registered is { } agent)
                {
                    ForgetConnection(agent.Id);
                }

                pending.Done.TrySetException(ex);
            }

            return;
        }

        Log.GroupCommitted(logger, group.Count, results.Sum(r => r.Stored.Count), appendMs, correlatedMs, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            (storedBytes - allocated) / 1024, (correlatedBytes - storedBytes) / 1024, (GC.GetAllocatedBytesForCurrentThread() - correlatedBytes) / 1024);
        for (var i = 0; i < group.Count; i++)
        {
            group[i].Done.TrySetResult(results[i]);
        }
    }

    /// <summary>A Hello whose commit rolled back: the agent is not connected (its stream ends with the error).</summary>
    private void ForgetConnection(string agentId)
    {
        try
        {
            correlator.SetConnected(agentId, connected: false);
        }
        catch (Exception ex) when (ex is LiteException or IOException)
        {
            Log.CorrelationFailed(logger, ex, agentId);
        }
    }

    private sealed record Pending(string AgentId, IReadOnlyList<CheckedEvent> Batch, PreparedChunk? Prepared, TaskCompletionSource<AppendResult> Done)
    {
        /// <summary>Set for a connecting agent: registered instead of stored.</summary>
        public Hello? Hello { get; init; }

        public AgentRecord? Registered { get; set; }
    }
}
