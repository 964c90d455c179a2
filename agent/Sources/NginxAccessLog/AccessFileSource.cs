using Fleet502.Agent.Platform;

namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>The file an aggregator's windows were read from, as their events' <c>SourceRef</c> names it.</summary>
public readonly record struct AccessFileSource(string Path, FileIdentity Identity, uint Generation);
