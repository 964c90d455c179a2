using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet502.Collector;
using Fleet502.Collector.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleet502.Tests.Collector.Infrastructure;

/// <summary>
/// The real collector, in process, on 127.0.0.1 port 0 with a LiteDB file of its own; every log
/// entry is recorded. Dispose stops it and releases the file, so a second one can open it.
/// </summary>
internal sealed class TestCollector : IAsyncDisposable
{
    public const string AgentToken = "agent-token-0123456789";
    public const string ApiToken = "api-token-0123456789abc";

    private readonly WebApplication _app;

    private TestCollector(WebApplication app, RecordingLoggerProvider logs, string databasePath)
    {
        _app = app;
        Logs = logs;
        DatabasePath = databasePath;
        var bound = app.Services.GetRequiredService<BoundEndpoints>();
        GrpcUri = bound.GrpcUri;
        HttpUri = bound.HttpUri;
        Api = new HttpClient { BaseAddress = HttpUri };
        Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiToken);
    }

    public Uri GrpcUri { get; }

    public Uri HttpUri { get; }

    public string DatabasePath { get; }

    /// <summary>An HTTP client for the REST endpoint that sends the API token.</summary>
    public HttpClient Api { get; }

    public RecordingLoggerProvider Logs { get; }

    public IServiceProvider Services => _app.Services;

    public static Task<TestCollector> StartAsync(string databasePath, params string[] extraArgs) =>
        StartAsync(databasePath, null, extraArgs);

    /// <summary>With <paramref name="time"/> as the collector's clock (quiet periods, liveness, sweeps).</summary>
    public static async Task<TestCollector> StartAsync(string databasePath, TimeProvider? time, params string[] extraArgs)
    {
        var logs = new RecordingLoggerProvider();
        string[] args =
        [
            "--Listen:Grpc=127.0.0.1:0",
            "--Listen:Http=127.0.0.1:0",
            $"--Storage:Path={databasePath}",
            $"--Auth:AgentTokens:0={AgentToken}",
            $"--Auth:ApiTokens:0={ApiToken}",
            .. extraArgs,
        ];
        var app = CollectorApp.Build(args, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(logs);
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
            if (time is not null)
            {
                builder.Services.AddSingleton(time);
            }
        });
        await app.StartAsync();
        return new TestCollector(app, logs, databasePath);
    }

    public Task<TestAgent> ConnectAsync(string agentId, params string[] addresses) =>
        TestAgent.ConnectAsync(GrpcUri, TestEvents.Hello(agentId, addresses), AgentToken);

    public Task<TestAgent> ConnectAsync(Fleet502.Protos.V1.Hello hello) => TestAgent.ConnectAsync(GrpcUri, hello, AgentToken);

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Api.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async Task<JsonElement[]> IncidentsAsync(string query = "")
    {
        var list = await GetJsonAsync("/api/v1/incidents" + query);
        return [.. list.EnumerateArray()];
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
