namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>Access log paths (or globs) read with one format.</summary>
public sealed record AccessLogTarget(IReadOnlyList<string> Patterns, LogFormat Format);
