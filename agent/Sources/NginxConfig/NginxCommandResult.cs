namespace Fleet502.Agent.Sources.NginxConfig;

/// <summary>What one run of the nginx binary printed.</summary>
public sealed record NginxCommandResult(int ExitCode, string Stdout, string Stderr);
