namespace Fleet502.Collector.Hosting;

/// <summary>Where the collector reads its configuration from, lowest precedence first.</summary>
internal static class ConfigurationSources
{
    public const string DefaultConfigPath = "/etc/fleet502/collector.json";
    public const string EnvironmentPrefix = "FLEET502_";

    /// <summary>
    /// Adds the JSON file (<c>--config &lt;path&gt;</c>, else the optional default path), then
    /// <c>FLEET502_*</c> environment variables, then the command line again so <c>--Key=value</c> wins.
    /// </summary>
    public static void Add(IConfigurationBuilder configuration, string[] args)
    {
        var explicitPath = ConfigPathFromArgs(args);
        if (explicitPath is not null && !File.Exists(explicitPath))
        {
            throw new InvalidConfigurationException([$"config file '{explicitPath}' (given with --config) does not exist"]);
        }

        try
        {
            configuration.AddJsonFile(Path.GetFullPath(explicitPath ?? DefaultConfigPath), optional: explicitPath is null, reloadOnChange: false);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidConfigurationException([$"{ex.Message} {ex.InnerException?.Message}".Trim()], ex);
        }

        configuration.AddEnvironmentVariables(EnvironmentPrefix);
        configuration.AddCommandLine(WithoutConfigPath(args));
    }

    private static string? ConfigPathFromArgs(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config")
            {
                return i + 1 < args.Length ? args[i + 1] : throw new InvalidConfigurationException(["--config needs a path"]);
            }

            if (args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                return args[i]["--config=".Length..];
            }
        }

        return null;
    }

    private static string[] WithoutConfigPath(string[] args)
    {
        var rest = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config")
            {
                i++;
            }
            else if (!args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                rest.Add(args[i]);
            }
        }

        return [.. rest];
    }
}
