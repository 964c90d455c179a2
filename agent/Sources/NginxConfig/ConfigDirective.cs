namespace Fleet502.Agent.Sources.NginxConfig;

/// <summary>A directive with its arguments, where it was written, and its block (null for simple directives).</summary>
public sealed record ConfigDirective(string Name, IReadOnlyList<string> Args, string File, int Line, IReadOnlyList<ConfigDirective>? Block)
{
    public string Arg(int i) => i < Args.Count ? Args[i] : "";
}
