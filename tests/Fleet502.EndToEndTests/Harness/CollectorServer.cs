using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Fleet502.EndToEndTests.Harness;

/// <summary>The collector program on loopback ports picked by the kernel, with a temp LiteDB file.</summary>
public sealed partial class CollectorServer : IDisposable
{
    public const string AgentToken = "e2e-agent-token-8f3a";
    public const string ApiToken = "e2e-api-token-51c7";

    private readonly ChildProcess _process;

    private CollectorServer(ChildProcess process, string grpcUrl, string httpUrl)
    {
        _process = process;
        GrpcUrl = grpcUrl;
        HttpUrl = httpUrl;
        Api = new HttpClient { BaseAddress = new Uri(httpUrl), Timeout = TimeSpan.FromSeconds(10) };
        Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiToken);
    }

    public string GrpcUrl { get; }

    public string HttpUrl { get; }

    /// <summary>An HttpClient for the REST API, with the API token.</summary>
    public HttpClient Api { get; }

    public string Output => _process.Output;

    public int GrpcPort => new Uri(GrpcUrl).Port;

    public int HttpPort => new Uri(HttpUrl).Port;

    /// <summary>Graceful stop (SIGTERM).</summary>
    public Task StopAsync() => _process.TerminateAsync(TimeSpan.FromSeconds(15));

    /// <summary>kill -9.</summary>
    public void Kill() => _process.Kill();

    public static async Task<CollectorServer> StartAsync(TempDir dir, string? webhookUrl, int grpcPort = 0, int httpPort = 0)
    {
        var webhooks = webhookUrl is null ? "[]" : $$"""[{ "Name": "e2e", "Url": "{{webhookUrl}}", "Format": "generic" }]""";
        var config = $$"""
            {
              "Listen": { "Grpc": "127.0.0.1:{{grpcPort}}", "Http": "127.0.0.1:{{httpPort}}" },
              "Storage": { "Path": "{{dir.File("collector.db")}}" },
              "Auth": { "AgentTokens": ["{{AgentToken}}"], "ApiTokens": ["{{ApiToken}}"] },
              "Webhooks": {{webhooks}}
            }
            """;
        var configPath = dir.File("collector.json");
        await File.WriteAllTextAsync(configPath, config);
        var process = new ChildProcess("collector", "dotnet", [RepoPaths.CollectorDll, "--config", configPath]);
        var line = await process.WaitForLineAsync(l => ListeningLine().IsMatch(l), TimeSpan.FromSeconds(30));
        var match = ListeningLine().Match(line);
        return new CollectorServer(process, match.Groups["grpc"].Value, match.Groups["http"].Value);
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Api.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Polls <paramref name="path"/> until <paramref name="done"/> holds or the timeout passes.</summary>
    public async Task<JsonElement> PollAsync(string path, Func<JsonElement, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var json = await GetJsonAsync(path);
            if (done(json))
            {
                return json;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"GET {path} never satisfied the condition; last answer: {json}\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    [GeneratedRegex(@"Fleet502 collector listening grpc=(?<grpc>\S+) http=(?<http>\S+)")]
    private static partial Regex ListeningLine();

    public void Dispose()
    {
        Api.Dispose();
        _process.Dispose();
    }
}
