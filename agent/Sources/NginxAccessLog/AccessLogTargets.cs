using Fleet502.Agent.Configuration;
using Fleet502.Agent.Sources.NginxConfig;

namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>
/// Which access logs to follow with which format: the configured ones, else what `nginx -T` names
/// (zero configuration), else /var/log/nginx/access.log as combined.
/// </summary>
public static class AccessLogTargets
{
    public const string DefaultPath = "/var/log/nginx/access.log";

    public static IReadOnlyList<AccessLogTarget> Resolve(NginxOptions options, NginxConfigSnapshot? config)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.AccessLogs.Count > 0)
        {
            return [new AccessLogTarget(options.AccessLogs, FormatFor(options.LogFormat ?? "combined", config))];
        }

        var fromConfig = config?.TailableAccessLogs().ToList() ?? [];
        if (fromConfig.Count > 0)
        {
            return [.. fromConfig
                .GroupBy(l => options.LogFormat ?? l.Format, StringComparer.Ordinal)
                .Select(g => new AccessLogTarget(g.Select(l => l.Path).ToList(), FormatFor(g.Key, config)))];
        }

        return [new AccessLogTarget([DefaultPath], FormatFor(options.LogFormat ?? "combined", config))];
    }

    /// <summary>A format name defined in the nginx config, else what <see cref="LogFormat.Parse"/> makes of the text.</summary>
    public static LogFormat FormatFor(string nameOrDefinition, NginxConfigSnapshot? config)
    {
        ArgumentNullException.ThrowIfNull(nameOrDefinition);
        var text = nameOrDefinition.Trim();
        if (config is not null && config.LogFormats.TryGetValue(text, out var defined))
        {
            return LogFormat.Compile(defined.Name, defined.Format, defined.Escape == "json");
        }

        return LogFormat.Parse(text);
    }
}
