using Fleet502.Collector;
using Fleet502.Collector.Hosting;

// fleet502-collector [--config <path>] [--Section:Key=value ...]
try
{
    await using var app = CollectorApp.Build(args);
    await app.RunAsync();
    return 0;
}
catch (InvalidConfigurationException ex)
{
    // One clear line per problem instead of a stack trace.
    await Console.Error.WriteLineAsync("fleet502-collector: invalid configuration:");
    foreach (var problem in ex.Problems)
    {
        await Console.Error.WriteLineAsync($"  - {problem}");
    }

    return 2;
}
