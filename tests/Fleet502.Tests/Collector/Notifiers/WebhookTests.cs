using System.Text.Json;
using Fleet502.Tests.Collector.Infrastructure;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;

namespace Fleet502.Tests.Collector.Notifiers;

/// <summary>Deliveries to a real HTTP receiver on loopback.</summary>
public sealed class WebhookTests : IAsyncLifetime
{
    private const string SecretPath = "/hooks/T0p-s3cret-path-4b1e";

    private readonly TempDirectory _dir = new();
    private WebhookReceiver _receiver = null!;
    private TestCollector _collector = null!;

    private Uri WebhookUrl => new(_receiver.BaseUri, SecretPath);

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _collector = await TestCollector.StartAsync(_dir.File("hooks.db"), "--Webhooks:0:Name=ops", $"--Webhooks:0:Url={WebhookUrl}", "--Webhooks:0:Format=generic");
    }

    public async Task DisposeAsync()
    {
        await _collector.DisposeAsync();
        await _receiver.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task OpenedIncidents_AreEachPostedOnce_AndTheUrlNeverShows()
    {
        await using (var agent = await _collector.ConnectAsync("web-1"))
        {
            await agent.SendAsync(Listeners(1, T0), Refused(2, T0, "127.0.0.1:3000"));
            await agent.SendAsync(Refused(3, T0.AddSeconds(1), "127.0.0.1:3000", count: 5)); // an update, not a new incident
            await agent.SendAsync(SocketMissing(4, T0.AddSeconds(2), "/run/app.sock"));
        }

        await Eventually.TrueAsync(() => _receiver.Posts.Count >= 2, "two webhook posts");
        await Task.Delay(500); // room for a wrong third one
        var incidents = await _collector.IncidentsAsync();
        Assert.Equal(2, incidents.Length);
        Assert.Equal(2, _receiver.Posts.Count);
        foreach (var post in _receiver.Posts)
        {
            Assert.Equal(SecretPath, post.Path);
            Assert.Equal("application/json", post.ContentType);
            var body = JsonDocument.Parse(post.Body).RootElement;
            Assert.Equal("incident_opened", body.GetProperty("event").GetString());
            Assert.Contains(incidents, i => i.GetProperty("id").GetString() == body.GetProperty("incident").GetProperty("id").GetString());
        }

        var apiOutput = string.Join('\n', incidents.Select(i => i.ToString())) + (await _collector.GetJsonAsync("/api/v1/agents"));
        Assert.DoesNotContain("s3cret", apiOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", _collector.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(_receiver.BaseUri.Authority, _collector.Logs.AllText.Replace(_collector.HttpUri.Authority, "").Replace(_collector.GrpcUri.Authority, ""), StringComparison.Ordinal);
        Assert.Contains(_collector.Logs.Entries, e => e.EventId == 500 && e.Message.Contains("Webhook ops: delivered incident_opened", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Receiver429WithRetryAfter_IsRetriedAfterTheDelay_AndDeliveredOnce()
    {
        _receiver.AnswerNext(429, retryAfter: "1");

        await using (var agent = await _collector.ConnectAsync("web-1"))
        {
            await agent.SendAsync(Listeners(1, T0), Refused(2, T0, "127.0.0.1:3000"));
        }

        await Eventually.TrueAsync(() => _receiver.Accepted.Any(), "an accepted webhook post");
        Assert.Equal([429, 200], _receiver.Posts.Select(p => p.Status));
        Assert.Equal(_receiver.Posts[0].Body, _receiver.Posts[1].Body);
        Assert.Contains(_collector.Logs.Entries, e => e.EventId == 501 && e.Message.StartsWith("Webhook ops: HTTP 429; retry 1 in 00:00:01", StringComparison.Ordinal));
        Assert.DoesNotContain("s3cret", _collector.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PendingDelivery_SurvivesARestart_AndGoesOutOnceTheReceiverIsUp()
    {
        var database = _dir.File("outbox.db");
        await using (var first = await TestCollector.StartAsync(database, "--Webhooks:0:Name=ops", "--Webhooks:0:Url=http://127.0.0.1:1/hooks/s3cret-down", "--Webhooks:0:Format=generic"))
        {
            await using var agent = await first.ConnectAsync("web-1");
            await agent.SendAsync(Listeners(1, T0), Refused(2, T0, "127.0.0.1:3000"));
            Assert.Single(await first.IncidentsAsync());
            Assert.DoesNotContain("s3cret", first.Logs.AllText, StringComparison.Ordinal);
        }

        // Same webhook name, now reachable: the saved delivery goes to it.
        await using var second = await TestCollector.StartAsync(database, "--Webhooks:0:Name=ops", $"--Webhooks:0:Url={WebhookUrl}", "--Webhooks:0:Format=generic");
        await Eventually.TrueAsync(() => _receiver.Accepted.Any(), "the saved delivery");
        var body = JsonDocument.Parse(Assert.Single(_receiver.Posts).Body).RootElement;
        Assert.Equal("incident_opened", body.GetProperty("event").GetString());
        Assert.Equal("backend_down", body.GetProperty("incident").GetProperty("cause").GetString());
    }
}
