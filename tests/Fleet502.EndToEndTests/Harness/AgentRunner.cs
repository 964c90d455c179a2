namespace Fleet502.EndToEndTests.Harness;

/// <summary>The agent program, configured by a JSON file like a user would write.</summary>
public sealed class AgentRunner : IDisposable
{
    private readonly ChildProcess _process;

    private AgentRunner(ChildProcess process, string agentId)
    {
        _process = process;
        AgentId = agentId;
    }

    public string AgentId { get; }

    public string Output => _process.Output;

    public static async Task<AgentRunner> StartAsync(
        TempDir dir, string collectorGrpcUrl, string errorLog, string agentId = "e2e-host", bool waitForCollector = true, string coalesceWindow = "00:00:01",
        string? nginxConfig = null)
    {
        // Only the test's own nginx: its config through `nginx -T -p <dir> -c <conf>`, never the host's.
        var nginxConfigJson = nginxConfig is null
            ? "\"ReadConfig\": false"
            : $"\"ReadConfig\": true, \"NginxBinary\": \"{RepoPaths.Nginx}\", \"NginxArguments\": [\"-p\", \"{dir.Path}\", \"-c\", \"{nginxConfig}\"]";
        var state = dir.File("agent-state");
        Directory.CreateDirectory(state);
        var config = $$"""
            {
              "AgentId": "{{agentId}}",
              "Hostname": "{{agentId}}",
              "Roles": ["load_balancer", "app"],
              "StateDirectory": "{{state}}",
              "Collector": { "Url": "{{collectorGrpcUrl}}", "Token": "{{CollectorServer.AgentToken}}", "MaxReconnectDelay": "00:00:01" },
              "Nginx": {
                "ErrorLogs": {{(errorLog.Length == 0 ? "[]" : $"[\"{errorLog}\"]")}}, "AccessLogs": ["{{dir.File("access.log")}}"], {{nginxConfigJson}},
                "CoalesceWindow": "{{coalesceWindow}}", "PollInterval": "00:00:00.050"
              },
              "Listeners": { "SampleInterval": "00:00:00.500" }
            }
            """;
        var configPath = dir.File("agent.json");
        await File.WriteAllTextAsync(configPath, config);
        var process = new ChildProcess("agent", "dotnet", [RepoPaths.AgentDll, "--config", configPath]);
        if (waitForCollector)
        {
            await process.WaitForLineAsync(l => l.Contains("Connected to the collector", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        }
        else
        {
            await process.WaitForLineAsync(l => l.Contains("Following", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        }

        return new AgentRunner(process, agentId);
    }

    /// <summary>kill -9: no flush, no goodbye.</summary>
    public void Kill() => _process.Kill();

    public void Dispose() => _process.Dispose();
}
