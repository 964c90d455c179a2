namespace Fleet502.Agent.Sources.PhpFpm;

/// <summary>One pool as its php-fpm config file declares it: what status sampling needs.</summary>
public sealed record FpmPoolConfig(string Name, string File, string Listen, string StatusListen, string StatusPath, uint MaxChildren)
{
    /// <summary>Where to ask for status: <c>pm.status_listen</c> (served even when every child is busy), else <c>listen</c>.</summary>
    public string StatusEndpoint => StatusListen.Length > 0 ? StatusListen : Listen;
}
