using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet502.Protos.V1;
using Fleet502.Tests.Collector.Infrastructure;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;

namespace Fleet502.Tests.Collector.Api;

/// <summary>The REST API over a real HttpClient; one collector with two incidents for the whole class.</summary>
public sealed class IncidentApiTests(IncidentApiTests.Fixture fixture) : IClassFixture<IncidentApiTests.Fixture>
{
    [Theory]
    [InlineData("/api/v1/incidents", null)]
    [InlineData("/api/v1/incidents", "Bearer wrong-token-0123456789")]
    [InlineData("/api/v1/agents", TestCollector.AgentToken)]
    [InlineData("/api/v1/incidents/whatever", "Basic " + TestCollector.ApiToken)]
    public async Task Api_WithoutAnApiToken_Is401ProblemDetails(string path, string? authorization)
    {
        using var client = new HttpClient { BaseAddress = fixture.Collector.HttpUri };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization.StartsWith("Bearer", StringComparison.Ordinal) || authorization.StartsWith("Basic", StringComparison.Ordinal) ? authorization : $"Bearer {authorization}");
        }

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
    }

    [Fact]
    public async Task Healthz_NeedsNoToken()
    {
        using var client = new HttpClient { BaseAddress = fixture.Collector.HttpUri };
        Assert.Equal("ok", await client.GetStringAsync("/healthz"));
    }

    [Theory]
    [InlineData("status=broken", "status")]
    [InlineData("cause=not_a_cause", "cause")]
    [InlineData("cause=unspecified", "cause")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=ten", "limit")]
    public async Task List_BadParameter_Is400ProblemDetailsNamingIt(string query, string parameter)
    {
        using var response = await fixture.Collector.Api.GetAsync($"/api/v1/incidents?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), problem.ToString());
    }

    [Fact]
    public async Task Get_UnknownId_Is404ProblemDetails()
    {
        using var response = await fixture.Collector.Api.GetAsync("/api/v1/incidents/0000000000000000");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task List_FiltersByStatusCauseAndLimit()
    {
        Assert.Equal(2, (await fixture.Collector.IncidentsAsync()).Length);
        Assert.Equal(2, (await fixture.Collector.IncidentsAsync("?status=open")).Length);
        Assert.Empty(await fixture.Collector.IncidentsAsync("?status=resolved"));
        Assert.Equal("socket_missing", Assert.Single(await fixture.Collector.IncidentsAsync("?cause=socket_missing")).GetProperty("cause").GetString());
        Assert.Single(await fixture.Collector.IncidentsAsync("?limit=1&status=all"));
    }

    [Fact]
    public async Task Get_Incident_HasTheDocumentedSnakeCaseShape()
    {
        var listed = Assert.Single(await fixture.Collector.IncidentsAsync("?cause=backend_down"));
        var incident = await fixture.Collector.GetJsonAsync($"/api/v1/incidents/{listed.GetProperty("id").GetString()}");

        string[] fields =
        [
            "id", "cause", "status", "target", "host", "hosts", "servers", "tier", "tier_chain", "severity", "failed_per_second", "failure_share", "first_seen", "last_seen", "resolved_at",
            "error_count", "confidence", "flap_count", "summary", "fix", "evidence",
        ];
        Assert.Equal(fields.Order(), incident.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("backend_down", incident.GetProperty("cause").GetString());
        Assert.Equal("open", incident.GetProperty("status").GetString());
        Assert.Equal("127.0.0.1:3000", incident.GetProperty("target").GetString());
        Assert.Equal("web-1", incident.GetProperty("host").GetString());
        Assert.Equal("app", incident.GetProperty("tier").GetString());
        Assert.Equal(["load_balancer", "app"], incident.GetProperty("tier_chain").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(JsonValueKind.Null, incident.GetProperty("failure_share").ValueKind); // no access log followed
        Assert.Equal(JsonValueKind.Null, incident.GetProperty("resolved_at").ValueKind);
        Assert.Equal("2026-03-01T12:03:02Z", incident.GetProperty("first_seen").GetString());
        Assert.Equal(3, incident.GetProperty("error_count").GetInt64());
        Assert.Equal(0.95, incident.GetProperty("confidence").GetDouble());
        Assert.Equal("backend down: nothing listens on 127.0.0.1:3000 on web-1; 3 × 502 since 12:03:02", incident.GetProperty("summary").GetString());
        var evidence = incident.GetProperty("evidence").EnumerateArray().ToList();
        Assert.Equal(["host", "source", "text", "time"], evidence[0].EnumerateObject().Select(p => p.Name).Order());
        Assert.Contains(evidence, e => e.GetProperty("source").GetString() == "/var/log/nginx/error.log"
            && e.GetProperty("text").GetString()!.Contains("(111: Connection refused)", StringComparison.Ordinal));
    }

    public sealed class Fixture : IAsyncLifetime
    {
        private readonly TempDirectory _dir = new();

        internal TestCollector Collector { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Collector = await TestCollector.StartAsync(_dir.File("api.db"));
            await using var agent = await Collector.ConnectAsync("web-1");
            await agent.SendAsync(
                Listeners(1, T0),
                Refused(2, T0.AddSeconds(1), "127.0.0.1:3000", count: 3),
                SocketMissing(3, T0.AddSeconds(2), "/run/app.sock"));
        }

        public async Task DisposeAsync()
        {
            await Collector.DisposeAsync();
            _dir.Dispose();
        }
    }
}
