using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fleet502.Collector.Hosting;

internal static class OptionsRegistration
{
    /// <summary>Binds <typeparamref name="TOptions"/> to a config section; see the other overload.</summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string section)
        where TOptions : class, IValidatableOptions =>
        services.AddValidatedOptions<TOptions>(options => options.BindConfiguration(section));

    /// <summary>
    /// Registers <typeparamref name="TOptions"/> with its <see cref="IValidatableOptions.Validate"/>,
    /// checked by <see cref="ConfigurationCheck.ValidateAll"/> before anything starts.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, Action<OptionsBuilder<TOptions>> bind)
        where TOptions : class, IValidatableOptions
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, OptionsValidator<TOptions>>());
        services.AddSingleton(new OptionsCheck(sp => _ = sp.GetRequiredService<IOptions<TOptions>>().Value));
        var options = services.AddOptions<TOptions>();
        bind(options);
        return options.ValidateOnStart();
    }
}
