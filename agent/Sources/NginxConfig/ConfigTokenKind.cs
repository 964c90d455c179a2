namespace Fleet502.Agent.Sources.NginxConfig;

public enum ConfigTokenKind
{
    Word,
    Semicolon,
    BlockStart,
    BlockEnd,
}
