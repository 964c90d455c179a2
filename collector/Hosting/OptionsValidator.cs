using Microsoft.Extensions.Options;

namespace Fleet502.Collector.Hosting;

/// <summary>Runs <see cref="IValidatableOptions.Validate"/> so every problem is reported at once, at start.</summary>
internal sealed class OptionsValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : class, IValidatableOptions
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var failures = options.Validate().ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
