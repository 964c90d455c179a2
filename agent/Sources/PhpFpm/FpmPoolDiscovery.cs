using System.Globalization;
using Fleet502.Agent.Configuration;
using Microsoft.Extensions.Logging;

namespace Fleet502.Agent.Sources.PhpFpm;

/// <summary>
/// Finds PHP-FPM pools from php-fpm's own config files (ini syntax: <c>[pool]</c> sections,
/// <c>key = value</c>, <c>;</c> comments, <c>$pool</c> expanded), so pool status sampling needs no
/// configuration when a pool sets <c>pm.status_path</c>.
/// </summary>
public static partial class FpmPoolDiscovery
{
    /// <summary>Where distributions and the official images keep pool files.</summary>
    public static readonly string[] DefaultPatterns =
    [
        "/etc/php/*/fpm/pool.d/*.conf",   // Debian, Ubuntu
        "/etc/php-fpm.d/*.conf",          // RHEL, Fedora
        "/etc/php*/php-fpm.d/*.conf",     // Alpine (php82/php-fpm.d)
        "/usr/local/etc/php-fpm.d/*.conf", // docker php:*-fpm
    ];

    /// <summary>The status readers for the configured pools plus, when enabled, the discovered ones.</summary>
    public static List<FpmStatusReader> Readers(PhpFpmOptions options, ILogger logger)
    {
        var discovered = options.Discover ? Discover(options.PoolFiles.Count > 0 ? options.PoolFiles : DefaultPatterns) : [];
        var readers = new List<FpmStatusReader>();
        var asked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var configured in options.Pools)
        {
            var endpoint = FastCgiEndpoint.Parse(configured.Endpoint);
            var file = discovered.FirstOrDefault(p => Same(p.Listen, endpoint) || Same(p.StatusListen, endpoint));
            readers.Add(new FpmStatusReader(endpoint, configured.StatusPath, options.Timeout, file?.MaxChildren ?? 0, file?.Name ?? ""));
            asked.Add(endpoint.Text);
        }

        foreach (var pool in discovered)
        {
            if (pool.StatusPath.Length == 0)
            {
                LogNoStatusPath(logger, pool.Name, pool.File);
                continue;
            }

            FastCgiEndpoint endpoint;
            try
            {
                endpoint = FastCgiEndpoint.Parse(pool.StatusEndpoint);
            }
            catch (FormatException e)
            {
                LogBadListen(logger, pool.Name, pool.File, e.Message);
                continue;
            }

            if (asked.Add(endpoint.Text))
            {
                LogDiscovered(logger, pool.Name, pool.File, endpoint.Text, pool.StatusPath, pool.MaxChildren);
                readers.Add(new FpmStatusReader(endpoint, pool.StatusPath, options.Timeout, pool.MaxChildren, pool.Name));
            }
        }

        return readers;
    }

    private static bool Same(string listen, FastCgiEndpoint endpoint)
    {
        try
        {
            return listen.Length > 0 && FastCgiEndpoint.Parse(listen).Text == endpoint.Text;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "PHP-FPM pool {Pool} ({File}): status sampled at {Endpoint}{StatusPath}, pm.max_children {MaxChildren}")]
    private static partial void LogDiscovered(ILogger logger, string pool, string file, string endpoint, string statusPath, uint maxChildren);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PHP-FPM pool {Pool} ({File}) sets no pm.status_path: its saturation cannot be sampled (set pm.status_path, ideally with pm.status_listen)")]
    private static partial void LogNoStatusPath(ILogger logger, string pool, string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PHP-FPM pool {Pool} ({File}): skipped, {Reason}")]
    private static partial void LogBadListen(ILogger logger, string pool, string file, string reason);

    /// <summary>Every pool in the files matching <paramref name="patterns"/> (a <c>*</c> matches within one path segment).</summary>
    public static List<FpmPoolConfig> Discover(IEnumerable<string> patterns)
    {
        var pools = new List<FpmPoolConfig>();
        foreach (var file in patterns.SelectMany(Glob).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            pools.AddRange(Parse(text, file));
        }

        return pools;
    }

    /// <summary>The pools of one php-fpm config file (the <c>[global]</c> section is not a pool).</summary>
    public static List<FpmPoolConfig> Parse(string text, string file)
    {
        var pools = new List<FpmPoolConfig>();
        string? pool = null;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is ';' or '#')
            {
                continue;
            }

            if (line[0] == '[' && line.EndsWith(']'))
            {
                Flush();
                pool = line[1..^1].Trim();
                values.Clear();
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (pool is null || eq <= 0)
            {
                continue;
            }

            var value = line[(eq + 1)..].Trim();
            var comment = value.IndexOf(" ;", StringComparison.Ordinal);
            if (comment >= 0)
            {
                value = value[..comment].TrimEnd();
            }

            if (value.Length >= 2 && value[0] is '"' or '\'' && value[^1] == value[0])
            {
                value = value[1..^1];
            }

            values[line[..eq].Trim()] = value.Replace("$pool", pool, StringComparison.Ordinal);
        }

        Flush();
        return pools;

        void Flush()
        {
            if (pool is null || pool == "global" || !values.TryGetValue("listen", out var listen))
            {
                return;
            }

            _ = uint.TryParse(values.GetValueOrDefault("pm.max_children"), NumberStyles.None, CultureInfo.InvariantCulture, out var max);
            pools.Add(new FpmPoolConfig(pool, file, listen, values.GetValueOrDefault("pm.status_listen", ""), values.GetValueOrDefault("pm.status_path", ""), max));
        }
    }

    private static IEnumerable<string> Glob(string pattern)
    {
        if (!pattern.StartsWith('/'))
        {
            return [];
        }

        IEnumerable<string> current = ["/"];
        var segments = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var last = i == segments.Length - 1;
            current = current.SelectMany(dir => Expand(dir, segment, last)).ToList();
        }

        return current;
    }

    private static IEnumerable<string> Expand(string dir, string segment, bool last)
    {
        try
        {
            if (!segment.Contains('*', StringComparison.Ordinal))
            {
                var path = Path.Combine(dir, segment);
                return (last ? File.Exists(path) : Directory.Exists(path)) ? [path] : [];
            }

            return last ? Directory.EnumerateFiles(dir, segment).ToList() : Directory.EnumerateDirectories(dir, segment).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
