namespace Fleet502.Agent.Sources.NginxConfig;

/// <summary>The directive tree with includes spliced in, and every file -T printed.</summary>
public sealed record ParsedConfig(IReadOnlyList<ConfigDirective> Root, IReadOnlyList<string> Files);
