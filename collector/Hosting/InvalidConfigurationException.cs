namespace Fleet502.Collector.Hosting;

/// <summary>The configuration cannot work; <see cref="Problems"/> lists every problem, each naming its key.</summary>
internal sealed class InvalidConfigurationException(IReadOnlyList<string> problems, Exception? inner = null)
    : Exception("invalid configuration: " + string.Join("; ", problems), inner)
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
