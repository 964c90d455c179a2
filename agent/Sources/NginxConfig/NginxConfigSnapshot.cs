using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.NginxConfig;

/// <summary>One reading of <c>nginx -T</c>, with what decides whether it is still current.</summary>
public sealed record NginxConfigSnapshot(ProxyConfig Config, string PidFile, string Stamp)
{
    /// <summary>Defined log formats by name (combined is built in and not listed).</summary>
    public IReadOnlyDictionary<string, LogFormatDefinition> LogFormats { get; } =
        Config.LogFormats.GroupBy(f => f.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    /// <summary>access_log paths that can be tailed (not syslog:, not off, not stdout/stderr), with their format names, once each.</summary>
    public IEnumerable<(string Path, string Format)> TailableAccessLogs() =>
        Config.AccessLogs.Where(l => Tailable(l.Path)).GroupBy(l => l.Path, StringComparer.Ordinal).Select(g => (g.Key, g.First().FormatOrLevel));

    public IEnumerable<string> TailableErrorLogs() =>
        Config.ErrorLogs.Where(l => Tailable(l.Path)).Select(l => l.Path).Distinct(StringComparer.Ordinal);

    private static bool Tailable(string path) =>
        path.StartsWith('/') && !path.StartsWith("/dev/", StringComparison.Ordinal) && !path.StartsWith("/proc/", StringComparison.Ordinal)
        && !path.Contains('$', StringComparison.Ordinal);
}
