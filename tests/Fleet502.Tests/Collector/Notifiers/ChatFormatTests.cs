using System.Text.Json;
using Fleet502.Collector.Api;
using Fleet502.Collector.Incidents;
using Fleet502.Collector.Notifiers.Formats;
using Fleet502.Protos.V1;
using Fleet502.Tests.Collector.Infrastructure;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;

namespace Fleet502.Tests.Collector.Notifiers;

/// <summary>
/// One incident delivered by a real collector to one real receiver through six webhooks, one per
/// chat format; each body is checked against the shape and limits its platform documents.
/// </summary>
public sealed class ChatFormatTests : IAsyncLifetime
{
    private static readonly string[] Formats = ["generic", "slack", "mattermost", "discord", "teams", "google_chat"];

    // A request line a user could send: mentions, markup and a code fence must stay inert text.
    private const string HostileRaw = "2026/03/01 12:03:01 [error] 7#7: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.9, server: shop.example.com, request: \"GET /@everyone<!channel>```<b>x</b> HTTP/1.1\", upstream: \"http://127.0.0.1:3000/\"";

    private readonly TempDirectory _dir = new();
    private WebhookReceiver _receiver = null!;
    private TestCollector _collector = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        var args = Formats.SelectMany((format, i) => new[]
        {
            $"--Webhooks:{i}:Name={format}",
            $"--Webhooks:{i}:Url={new Uri(_receiver.BaseUri, "/hook/" + format)}",
            $"--Webhooks:{i}:Format={format}",
        }).ToArray();
        _collector = await TestCollector.StartAsync(_dir.File("chat.db"), args);
    }

    public async Task DisposeAsync()
    {
        await _collector.DisposeAsync();
        await _receiver.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task EveryFormat_IsDeliveredOnce_WithItsPlatformsShape()
    {
        await using (var agent = await _collector.ConnectAsync("web-1"))
        {
            await agent.SendAsync(Listeners(1, T0), Error(2, T0, Cause.BackendDown, Tcp("127.0.0.1:3000"), 3, 502, "shop.example.com", HostileRaw));
        }

        await Eventually.TrueAsync(() => _receiver.Accepted.Count() >= Formats.Length, "one post per format");
        var byPath = _receiver.Posts.ToDictionary(p => p.Path, p => JsonDocument.Parse(p.Body).RootElement);
        Assert.Equal(Formats.Select(f => "/hook/" + f).Order(), byPath.Keys.Order());

        var generic = byPath["/hook/generic"];
        Assert.Equal("incident_opened", generic.GetProperty("event").GetString());
        Assert.Equal("backend_down", generic.GetProperty("incident").GetProperty("cause").GetString());

        var slack = byPath["/hook/slack"];
        Assert.Contains("backend down at 127.0.0.1:3000", slack.GetProperty("text").GetString());
        var blocks = slack.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal("header", blocks[0].GetProperty("type").GetString());
        Assert.All(blocks.Skip(1), b => Assert.Equal("section", b.GetProperty("type").GetString()));
        var slackText = string.Join('\n', blocks.Where(b => b.TryGetProperty("text", out _)).Select(b => b.GetProperty("text").GetProperty("text").GetString()));
        Assert.DoesNotContain("<!channel>", slackText, StringComparison.Ordinal); // escaped as &lt;!channel&gt;
        Assert.Contains("&lt;!channel&gt;", slackText, StringComparison.Ordinal);

        var mattermost = byPath["/hook/mattermost"].GetProperty("attachments")[0];
        Assert.Equal("#E01E5A", mattermost.GetProperty("color").GetString());
        Assert.Contains(mattermost.GetProperty("fields").EnumerateArray(), f => f.GetProperty("title").GetString() == "Tier" && f.GetProperty("value").GetString() == "app");

        var discord = byPath["/hook/discord"];
        Assert.Empty(discord.GetProperty("allowed_mentions").GetProperty("parse").EnumerateArray()); // "@everyone" in a log line pings nobody
        var embed = discord.GetProperty("embeds")[0];
        Assert.Equal(0xE01E5A, embed.GetProperty("color").GetInt32());
        Assert.StartsWith("🔴 502 root cause: backend down", embed.GetProperty("title").GetString(), StringComparison.Ordinal);

        var card = byPath["/hook/teams"].GetProperty("attachments")[0];
        Assert.Equal("application/vnd.microsoft.card.adaptive", card.GetProperty("contentType").GetString());
        var body = card.GetProperty("content").GetProperty("body").EnumerateArray().ToList();
        Assert.All(body.Where(b => b.GetProperty("type").GetString() == "TextBlock"), b => Assert.True(b.GetProperty("wrap").GetBoolean()));
        Assert.Contains(body, b => b.GetProperty("type").GetString() == "FactSet");

        var chat = byPath["/hook/google_chat"];
        var widgets = chat.GetProperty("cardsV2")[0].GetProperty("card").GetProperty("sections")[0].GetProperty("widgets").EnumerateArray();
        var html = string.Join('\n', widgets.Where(w => w.TryGetProperty("textParagraph", out _)).Select(w => w.GetProperty("textParagraph").GetProperty("text").GetString()));
        Assert.DoesNotContain("<b>x</b>", html, StringComparison.Ordinal); // log text is encoded, not markup
    }

    [Theory]
    [InlineData("slack")]
    [InlineData("mattermost")]
    [InlineData("discord")]
    [InlineData("teams")]
    [InlineData("google_chat")]
    public void HugeIncidents_StayInsideThePlatformsLimits(string format)
    {
        var huge = new string('x', 200_000);
        var incident = new IncidentJson(
            "0192", "backend_down", "open", "127.0.0.1:3000", "app-1", [.. Enumerable.Range(0, 500).Select(i => $"lb-{i}")],
            [huge], "app", DateTime.UtcNow, DateTime.UtcNow, null, 12, 0.95, 0, huge, huge,
            [.. Enumerable.Range(0, 50).Select(i => new EvidenceJson(DateTime.UtcNow, "lb-1", "error.log", huge))]);

        var bytes = WebhookFormats.ByName[format].Render(IncidentEvents.Opened, incident);
        var root = JsonDocument.Parse(bytes).RootElement;

        switch (format)
        {
            case "slack":
                Assert.True(root.GetProperty("text").GetString()!.Length <= 3000);
                foreach (var block in root.GetProperty("blocks").EnumerateArray())
                {
                    if (block.TryGetProperty("text", out var text))
                    {
                        Assert.True(text.GetProperty("text").GetString()!.Length <= (block.GetProperty("type").GetString() == "header" ? 150 : 3000));
                    }
                }

                Assert.True(bytes.Length < 13_000, $"{bytes.Length} bytes");
                break;
            case "discord":
                var embed = root.GetProperty("embeds")[0];
                var total = embed.GetProperty("title").GetString()!.Length + embed.GetProperty("description").GetString()!.Length
                    + embed.GetProperty("fields").EnumerateArray().Sum(f => f.GetProperty("name").GetString()!.Length + f.GetProperty("value").GetString()!.Length);
                Assert.True(total <= 6000, $"embed holds {total} characters");
                Assert.True(embed.GetProperty("description").GetString()!.Length <= 4096);
                Assert.All(embed.GetProperty("fields").EnumerateArray(), f => Assert.True(f.GetProperty("value").GetString()!.Length <= 1024));
                break;
            case "mattermost":
                Assert.True(bytes.Length < 16_383, $"{bytes.Length} bytes");
                break;
            case "teams":
                Assert.True(bytes.Length < 28_000, $"{bytes.Length} bytes");
                break;
            case "google_chat":
                Assert.True(bytes.Length < 32_000, $"{bytes.Length} bytes");
                break;
        }
    }

    [Fact]
    public void ResolvedIncidents_AreGreenAndSaySo()
    {
        var incident = new IncidentJson(
            "0193", "socket_missing", "resolved", "unix:/run/php/php8.2-fpm.sock", "web-1", ["web-1"], [], "app",
            DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(-3), DateTime.UtcNow, 40, 0.95, 1, "socket missing", "start php-fpm", []);

        var discord = JsonDocument.Parse(WebhookFormats.ByName["discord"].Render(IncidentEvents.Resolved, incident)).RootElement.GetProperty("embeds")[0];
        Assert.Equal(0x2EB67D, discord.GetProperty("color").GetInt32());
        Assert.StartsWith("✅ Resolved: socket missing", discord.GetProperty("title").GetString(), StringComparison.Ordinal);
    }
}
