namespace Fleet502.Collector.Hosting;

/// <summary>Builds one options class, so binding and validation errors surface at start.</summary>
internal sealed record OptionsCheck(Action<IServiceProvider> Run);
