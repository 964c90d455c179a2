using Microsoft.Extensions.Options;

namespace Fleet502.Collector.Hosting;

internal static class ConfigurationCheck
{
    /// <summary>
    /// Builds every options class now, before any service opens a file or a port, and reports all
    /// problems together as one <see cref="InvalidConfigurationException"/>.
    /// </summary>
    public static void ValidateAll(IServiceProvider services)
    {
        var problems = new List<string>();
        foreach (var check in services.GetServices<OptionsCheck>())
        {
            try
            {
                check.Run(services);
            }
            catch (OptionsValidationException invalid)
            {
                problems.AddRange(invalid.Failures);
            }
            catch (InvalidOperationException conversion) when (conversion.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
            {
                problems.Add(conversion.Message); // names the key and the value, e.g. 'soon' at 'Storage:EventRetention'
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidConfigurationException(problems);
        }
    }
}
