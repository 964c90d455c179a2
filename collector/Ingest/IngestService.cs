using System.Reflection;
using Fleet502.Collector.Auth;
using Fleet502.Collector.Correlation;
using Fleet502.Collector.Storage;
using Fleet502.Protos.V1;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Fleet502.Collector.Ingest;

/// <summary>
/// The agents' stream: Hello → Welcome(last seq held), then EventBatch → Ack(highest seq stored).
/// Bad messages and malformed events are counted and skipped; they never end the stream.
/// </summary>
internal sealed class IngestService(
    IOptions<AuthOptions> auth,
    IngestWriter writer,
    Correlator correlator,
    IngestMetrics metrics,
    ILogger<IngestService> logger) : Protos.V1.Ingest.IngestBase
{
    private const int MaxIdLength = 128;

    private static readonly string CollectorVersion =
        typeof(IngestService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private readonly TokenSet _tokens = new(auth.Value.AgentTokens);

    public override async Task Connect(
        IAsyncStreamReader<AgentMessage> requestStream,
        IServerStreamWriter<CollectorMessage> responseStream,
        ServerCallContext context)
    {
        if (!_tokens.IsAuthorized(context.RequestHeaders.GetValue("authorization")))
        {
            Log.AgentUnauthenticated(logger, context.Peer);
            throw new RpcException(new Status(StatusCode.Unauthenticated, "missing or unknown agent token"));
        }

        var cancellationToken = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellationToken))
        {
            return;
        }

        var hello = requestStream.Current.Hello
            ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "the first message must be Hello"));
        if (CheckHello(hello) is { } problem)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, problem));
        }

        var agent = await writer.ConnectAsync(hello);
        Log.AgentConnected(logger, agent.Id, agent.Hostname, agent.Version, agent.LastSeq);
        await responseStream.WriteAsync(
            new CollectorMessage { Welcome = new Welcome { LastSeq = agent.LastSeq, CollectorVersion = CollectorVersion } },
            cancellationToken);

        try
        {
            while (await NextAsync(requestStream, cancellationToken))
            {
                if (requestStream.Current.Batch is not { } batch)
                {
                    metrics.SkippedMessage();
                    Log.MessageSkipped(logger, agent.Id, requestStream.Current.KindCase.ToString());
                    continue;
                }

                var ack = await IngestAsync(agent.Id, batch);
                await responseStream.WriteAsync(new CollectorMessage { Ack = new Ack { Seq = ack } }, cancellationToken);
            }
        }
        finally
        {
            correlator.SetConnected(agent.Id, connected: false);
            Log.AgentDisconnected(logger, agent.Id);
        }
    }

    /// <summary>
    /// The agent's next message; false when the stream ended, including when the agent reset it
    /// (stopped, restarted, network cut): an ordinary disconnect, not a server error. What it sent
    /// and was not acked, it sends again.
    /// </summary>
    private static async Task<bool> NextAsync(IAsyncStreamReader<AgentMessage> requestStream, CancellationToken cancellationToken)
    {
        try
        {
            return await requestStream.MoveNext(cancellationToken);
        }
        catch (IOException)
        {
            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Stores the batch, feeds what is new to the correlator, and returns the seq to ack.</summary>
    private async Task<ulong> IngestAsync(string agentId, EventBatch batch)
    {
        var checkedEvents = new List<CheckedEvent>(batch.Events.Count);
        foreach (var e in batch.Events)
        {
            if (!EventValidator.HasUsableSeq(e))
            {
                metrics.Rejected(1);
                Log.EventRejected(logger, agentId, e.Seq, "seq must be 1..2^63-1");
                continue; // without a seq it can be neither stored once nor acked
            }

            var reason = EventValidator.Check(e);
            if (reason is not null)
            {
                metrics.Rejected(1);
                Log.EventRejected(logger, agentId, e.Seq, reason);
            }

            checkedEvents.Add(new CheckedEvent(e, reason));
        }

        // One transaction (one journal flush) for the batch's events and the incidents they change,
        // shared with every other agent's batch waiting at the same moment (group commit).
        var result = await writer.WriteAsync(agentId, checkedEvents);
        metrics.Stored(result.Stored.Count);
        metrics.Duplicates(result.Duplicates);
        Log.BatchStored(logger, agentId, batch.Events.Count, result.Stored.Count, result.Duplicates, result.Rejected, result.LastSeq);
        return result.LastSeq;
    }

    private static string? CheckHello(Hello hello)
    {
        if (string.IsNullOrWhiteSpace(hello.AgentId) || hello.AgentId.Length > MaxIdLength || hello.AgentId.Any(char.IsControl))
        {
            return $"Hello.agent_id must be 1-{MaxIdLength} printable characters";
        }

        if (hello.Hostname.Length > 255 || hello.Hostname.Any(char.IsControl))
        {
            return "Hello.hostname must be at most 255 printable characters";
        }

        if (string.IsNullOrWhiteSpace(hello.Hostname))
        {
            hello.Hostname = hello.AgentId;
        }

        return null;
    }
}
