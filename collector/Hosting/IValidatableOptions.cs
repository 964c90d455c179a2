namespace Fleet502.Collector.Hosting;

/// <summary>Options that can say, in words an operator understands, what is wrong with them.</summary>
internal interface IValidatableOptions
{
    /// <summary>One message per problem, each naming the config key; empty when the options are valid.</summary>
    IEnumerable<string> Validate();
}
