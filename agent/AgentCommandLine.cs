using System.CommandLine;
using Fleet502.Agent.Commands;

namespace Fleet502.Agent;

/// <summary><c>fleet502-agent [run] [--config FILE]</c>, <c>fleet502-agent explain [--file F] [--log-format F]</c> and <c>fleet502-agent doctor [--json]</c>.</summary>
public static class AgentCommandLine
{
    public const string DefaultConfigPath = "/etc/fleet502/agent.json";

    public static RootCommand Build()
    {
        var config = new Option<string?>("--config", "-c")
        {
            Description = $"Agent configuration file (default {DefaultConfigPath}; FLEET502_* environment variables override it)",
            Recursive = true,
        };

        var run = new Command("run", "Follow nginx and host state and stream events to the collector (the default)");
        run.SetAction((parse, ct) => AgentHost.RunAsync(parse.GetValue(config), ct));

        var root = new RootCommand("Fleet502 agent: finds why nginx answers 502/504 on this host and tells the collector")
        {
            config,
            run,
            ExplainCommand.Create(),
            DoctorCommand.Create(config),
        };
        root.SetAction((parse, ct) => AgentHost.RunAsync(parse.GetValue(config), ct));
        return root;
    }
}
