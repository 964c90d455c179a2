namespace Fleet502.Agent.Sources.NginxConfig;

/// <summary>One token of nginx configuration: a word (quotes removed), or <c>;</c> <c>{</c> <c>}</c>.</summary>
public readonly record struct ConfigToken(ConfigTokenKind Kind, string Text, int Line);
