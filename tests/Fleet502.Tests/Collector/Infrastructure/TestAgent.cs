using Fleet502.Protos.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Fleet502.Tests.Collector.Infrastructure;

/// <summary>An agent's side of the ingest stream, over a real h2c gRPC channel.</summary>
internal sealed class TestAgent : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<AgentMessage, CollectorMessage> _call;

    private TestAgent(GrpcChannel channel, AsyncDuplexStreamingCall<AgentMessage, CollectorMessage> call, Welcome welcome)
    {
        _channel = channel;
        _call = call;
        Welcome = welcome;
    }

    public Welcome Welcome { get; }

    public static async Task<TestAgent> ConnectAsync(Uri grpc, Hello hello, string? token)
    {
        var channel = GrpcChannel.ForAddress(grpc);
        var headers = new Metadata();
        if (token is not null)
        {
            headers.Add("authorization", $"Bearer {token}");
        }

        var call = new Fleet502.Protos.V1.Ingest.IngestClient(channel).Connect(headers, deadline: DateTime.UtcNow.AddSeconds(30));
        try
        {
            await call.RequestStream.WriteAsync(new AgentMessage { Hello = hello });
            if (!await call.ResponseStream.MoveNext(CancellationToken.None) || call.ResponseStream.Current.Welcome is not { } welcome)
            {
                throw new InvalidOperationException("the collector did not answer Hello with Welcome");
            }

            return new TestAgent(channel, call, welcome);
        }
        catch
        {
            call.Dispose();
            channel.Dispose();
            throw;
        }
    }

    /// <summary>Sends one batch and returns the acked seq.</summary>
    public async Task<ulong> SendAsync(params Event[] events)
    {
        var batch = new EventBatch();
        batch.Events.AddRange(events);
        await _call.RequestStream.WriteAsync(new AgentMessage { Batch = batch });
        if (!await _call.ResponseStream.MoveNext(CancellationToken.None) || _call.ResponseStream.Current.Ack is not { } ack)
        {
            throw new InvalidOperationException("the collector did not ack the batch");
        }

        return ack.Seq;
    }

    /// <summary>Sends a message that is not a batch; the collector should skip it and keep the stream.</summary>
    public Task SendRawAsync(AgentMessage message) => _call.RequestStream.WriteAsync(message);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _call.RequestStream.CompleteAsync();
            while (await _call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        }
        catch (RpcException)
        {
            // The collector may already be gone.
        }
        catch (InvalidOperationException)
        {
        }

        _call.Dispose();
        _channel.Dispose();
    }
}
