using System.Net;
using System.Text.RegularExpressions;
using Fleet502.Collector;
using Fleet502.Collector.Hosting;
using Fleet502.Tests.Collector.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;

namespace Fleet502.Tests.Collector.Hosting;

public sealed partial class CollectorAppTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Start_OnPortZero_LogsTheListeningLineWithTheBoundPorts()
    {
        await using var collector = await TestCollector.StartAsync(_dir.File("c.db"));

        var line = Assert.Single(collector.Logs.Entries, e => e.EventId == 100).Message;
        var match = ListeningLine().Match(line);
        Assert.True(match.Success, line);
        Assert.Equal(collector.GrpcUri, new Uri(match.Groups["grpc"].Value));
        Assert.Equal(collector.HttpUri, new Uri(match.Groups["http"].Value));
        Assert.NotEqual(0, collector.GrpcUri.Port);
        Assert.NotEqual(collector.GrpcUri.Port, collector.HttpUri.Port);

        using var health = await new HttpClient().GetAsync(new Uri(collector.HttpUri, "/healthz"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public void Build_WithoutTokens_FailsWithAMessageNamingEachKeyBeforeOpeningTheDatabase()
    {
        var error = Assert.Throws<InvalidConfigurationException>(() =>
            CollectorApp.Build(["--Listen:Grpc=127.0.0.1:0", "--Listen:Http=127.0.0.1:0", $"--Storage:Path={_dir.File("c.db")}"]));

        Assert.False(File.Exists(_dir.File("c.db")));
        Assert.Contains(error.Problems, f => f.StartsWith("Auth:AgentTokens is empty", StringComparison.Ordinal) && f.Contains("FLEET502_Auth__AgentTokens__0", StringComparison.Ordinal));
        Assert.Contains(error.Problems, f => f.StartsWith("Auth:ApiTokens is empty", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_WithBadListenAddressAndWebhook_ReportsEveryProblemWithoutTheUrl()
    {
        WebApplication Build() => CollectorApp.Build([
            "--Listen:Grpc=not-an-address",
            "--Listen:Http=127.0.0.1:0",
            $"--Storage:Path={_dir.File("c.db")}",
            $"--Auth:AgentTokens:0={TestCollector.AgentToken}",
            $"--Auth:ApiTokens:0={TestCollector.ApiToken}",
            "--Webhooks:0:Name=ops",
            "--Webhooks:0:Url=ftp://hooks.example.com/very-secret",
            "--Webhooks:0:Format=telegraph",
            "--Storage:EventRetention=soon",
        ]);

        var error = Assert.Throws<InvalidConfigurationException>(Build);

        Assert.Contains(error.Problems, f => f.StartsWith("Listen:Grpc 'not-an-address'", StringComparison.Ordinal));
        Assert.Contains(error.Problems, f => f.StartsWith("Webhooks:0:Url (webhook 'ops')", StringComparison.Ordinal));
        Assert.Contains(error.Problems, f => f.StartsWith("Webhooks:0:Format 'telegraph' is not supported; use one of: generic, slack,", StringComparison.Ordinal));
        Assert.Contains(error.Problems, f => f.Contains("Storage:EventRetention", StringComparison.Ordinal));
        Assert.DoesNotContain("very-secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_WithExplicitConfigThatDoesNotExist_Throws()
    {
        var missing = _dir.File("nope.json");

        var error = Assert.Throws<InvalidConfigurationException>(() => CollectorApp.Build(["--config", missing]));

        Assert.Contains(missing, Assert.Single(error.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithConfigFile_ReadsItAndLetsTheCommandLineOverride()
    {
        var config = _dir.File("collector.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "Listen": { "Grpc": "127.0.0.1:0", "Http": "127.0.0.1:0" },
              "Storage": { "Path": "{{_dir.File("from-file.db")}}", "EventRetention": "2.00:00:00" },
              "Auth": { "AgentTokens": ["{{TestCollector.AgentToken}}"], "ApiTokens": ["{{TestCollector.ApiToken}}"] },
              "Correlation": { "QuietPeriod": "00:05:00" }
            }
            """);

        await using var app = CollectorApp.Build(["--config", config, "--Correlation:QuietPeriod=00:03:00"]);
        await app.StartAsync();

        Assert.True(File.Exists(_dir.File("from-file.db")));
        var services = app.Services;
        Assert.Equal(TimeSpan.FromDays(2), services.GetRequiredService<IOptions<Fleet502.Collector.Storage.StorageOptions>>().Value.EventRetention);
        Assert.Equal(TimeSpan.FromMinutes(3), services.GetRequiredService<IOptions<Fleet502.Collector.Correlation.CorrelationOptions>>().Value.QuietPeriod);
        await app.StopAsync();
    }

    [Fact]
    public void ConfigurationSources_EnvironmentVariablesWithThePrefix_OverrideTheFile()
    {
        var config = _dir.File("collector.json");
        File.WriteAllText(config, """{ "TestOnly": { "FromFile": "file", "Overridden": "file" } }""");
        Environment.SetEnvironmentVariable("FLEET502_TestOnly__Overridden", "env");
        try
        {
            var builder = new ConfigurationBuilder();
            ConfigurationSources.Add(builder, ["--config", config]);
            var configuration = builder.Build();

            Assert.Equal("file", configuration["TestOnly:FromFile"]);
            Assert.Equal("env", configuration["TestOnly:Overridden"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("FLEET502_TestOnly__Overridden", null);
        }
    }

    [GeneratedRegex(@"^Fleet502 collector listening grpc=(?<grpc>http://\S+) http=(?<http>http://\S+)$")]
    private static partial Regex ListeningLine();
}
