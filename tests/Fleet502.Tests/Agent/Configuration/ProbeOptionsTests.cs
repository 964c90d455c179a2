using Fleet502.Agent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Fleet502.Tests.Agent.Configuration;

/// <summary>A bad probe target stops the agent at start with a message naming the setting.</summary>
public sealed class ProbeOptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fleet502-probe-options-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("""{ "Url": "not a url", "Origin": "127.0.0.1:80" }""")]
    [InlineData("""{ "Url": "ftp://shop.example.com/", "Origin": "127.0.0.1:80" }""")]
    [InlineData("""{ "Url": "https://shop.example.com/", "Origin": "" }""")]
    public async Task A_target_without_an_http_url_or_an_origin_is_refused_at_start(string target)
    {
        var config = Path.Combine(_dir, "agent.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "StateDirectory": "{{_dir}}",
              "Collector": { "Url": "http://127.0.0.1:1", "Token": "0123456789abcdef0123" },
              "Probes": { "Targets": [ {{target}} ] }
            }
            """);

        using var host = AgentHost.Build(config);
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Probes:Targets entry needs an absolute http(s) Url and an Origin", error.Message, StringComparison.Ordinal);
    }
}
