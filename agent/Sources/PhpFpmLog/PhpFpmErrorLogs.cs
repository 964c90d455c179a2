using System.Text;

namespace Fleet502.Agent.Sources.PhpFpmLog;

/// <summary>
/// Finds php-fpm's error log with zero configuration: the <c>error_log</c> of the <c>[global]</c> section of
/// each php-fpm config, taken from the running masters (their process title names the config:
/// <c>php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)</c>) and from the usual config paths.
/// </summary>
public static class PhpFpmErrorLogs
{
    /// <summary>Where distributions put the main php-fpm config.</summary>
    public static readonly IReadOnlyList<string> DefaultConfigFiles =
    [
        "/etc/php/*/fpm/php-fpm.conf",
        "/etc/php-fpm.conf",
        "/etc/php*/php-fpm.conf",
        "/usr/local/etc/php-fpm.conf",
    ];

    /// <summary>Used when no config names a file: Debian/Ubuntu and RHEL defaults.</summary>
    public static readonly IReadOnlyList<string> DefaultLogs = ["/var/log/php*-fpm.log", "/var/log/php-fpm/error.log"];

    // php-fpm resolves a relative error_log against its prefix, /var unless built otherwise.
    private const string Prefix = "/var";

    /// <summary>
    /// The error logs named by <paramref name="configPatterns"/> (paths or globs) and by running masters,
    /// deduplicated; <paramref name="notes"/> says why a config gave nothing tailable (syslog, unreadable).
    /// </summary>
    public static IReadOnlyList<string> Discover(IEnumerable<string> configPatterns, bool fromProcesses, List<string> notes)
    {
        ArgumentNullException.ThrowIfNull(configPatterns);
        ArgumentNullException.ThrowIfNull(notes);
        var configs = new List<string>();
        if (fromProcesses)
        {
            configs.AddRange(RunningMasterConfigs());
        }

        configs.AddRange(configPatterns.SelectMany(Expand));
        var logs = new List<string>();
        foreach (var config in configs.Distinct(StringComparer.Ordinal))
        {
            string text;
            try
            {
                text = File.ReadAllText(config);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                notes.Add($"{config}: {e.Message}");
                continue;
            }

            var value = GlobalErrorLog(text);
            if (value is null)
            {
                // Not set: php-fpm's compiled-in default, log/php-fpm.log under the prefix.
                logs.Add(Path.Combine(Prefix, "log/php-fpm.log"));
            }
            else if (value.StartsWith("syslog", StringComparison.Ordinal))
            {
                notes.Add($"{config}: error_log = {value}: php-fpm logs to syslog; set PhpFpm:ErrorLogs to the file syslog writes");
            }
            else if (value.Length > 0)
            {
                logs.Add(Path.IsPathRooted(value) ? value : Path.Combine(Prefix, value));
            }
        }

        return logs.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The <c>error_log</c> value of the global section (before any pool section), or null when unset.</summary>
    public static string? GlobalErrorLog(string config)
    {
        ArgumentNullException.ThrowIfNull(config);
        string? value = null;
        var global = true;
        foreach (var raw in config.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is ';' or '#')
            {
                continue;
            }

            if (line[0] == '[')
            {
                global = line.StartsWith("[global]", StringComparison.Ordinal);
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (!global || eq <= 0 || line[..eq].Trim() != "error_log")
            {
                continue;
            }

            var v = line[(eq + 1)..].Trim();
            // INI values may be quoted, and may end with a comment.
            if (v.Length >= 2 && v[0] is '"' or '\'' && v.IndexOf(v[0], 1) is var close and > 0)
            {
                v = v[1..close];
            }
            else if (v.IndexOf(';', StringComparison.Ordinal) is var semi and >= 0)
            {
                v = v[..semi].TrimEnd();
            }

            value = v;
        }

        return value;
    }

    /// <summary>Config paths of running php-fpm masters, from their process titles in /proc/PID/cmdline.</summary>
    public static IEnumerable<string> RunningMasterConfigs(string proc = "/proc")
    {
        IEnumerable<string> pids;
        try
        {
            pids = Directory.EnumerateDirectories(proc).Where(d => Path.GetFileName(d).All(char.IsAsciiDigit)).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }

        foreach (var pid in pids)
        {
            if (MasterConfig(ReadCmdline(Path.Combine(pid, "cmdline"))) is { } config)
            {
                // "-y fpm.conf" shows as given: relative to the master's working directory.
                yield return Path.IsPathRooted(config) ? config : Path.Combine(ReadLink(Path.Combine(pid, "cwd")) ?? "/", config);
            }
        }
    }

    /// <summary>The config of a title like <c>php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)</c>, or null.</summary>
    public static string? MasterConfig(string cmdline)
    {
        ArgumentNullException.ThrowIfNull(cmdline);
        const string Marker = "master process (";
        if (!cmdline.StartsWith("php-fpm", StringComparison.Ordinal))
        {
            return null;
        }

        var at = cmdline.IndexOf(Marker, StringComparison.Ordinal);
        var end = cmdline.LastIndexOf(')');
        return at > 0 && end > at + Marker.Length ? cmdline[(at + Marker.Length)..end] : null;
    }

    private static string ReadCmdline(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            return Encoding.UTF8.GetString(bytes).Replace('\0', ' ').Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process exited or is not ours to read.
            return "";
        }
    }

    private static string? ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A path with <c>*</c> in any segment, expanded to the existing files.</summary>
    internal static IEnumerable<string> Expand(string pattern)
    {
        if (!pattern.Contains('*', StringComparison.Ordinal))
        {
            return File.Exists(pattern) ? [pattern] : [];
        }

        IEnumerable<string> current = ["/"];
        foreach (var segment in pattern.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current = current.SelectMany(dir => Children(dir, segment)).ToList();
        }

        return current.Where(File.Exists).Order(StringComparer.Ordinal);
    }

    private static IEnumerable<string> Children(string dir, string segment)
    {
        if (!segment.Contains('*', StringComparison.Ordinal))
        {
            return [Path.Combine(dir, segment)];
        }

        try
        {
            return Directory.Exists(dir) ? Directory.EnumerateFileSystemEntries(dir, segment).ToList() : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
