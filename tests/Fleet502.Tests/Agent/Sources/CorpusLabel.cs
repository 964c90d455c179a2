using Fleet502.Protos.V1;

namespace Fleet502.Tests.Agent.Sources;

/// <summary>
/// What a corpus label means in the taxonomy. <paramref name="AlsoAccepted"/> is set only where the
/// catalogue says the line alone cannot tell two causes apart (a correlated log decides);
/// <paramref name="StatusNeedsContext"/> where the final status depends on a later retry.
/// </summary>
public sealed record CorpusLabel(Cause Cause, Cause? AlsoAccepted = null, bool StatusNeedsContext = false)
{
    public bool Accepts(Cause cause) => cause == Cause || (AlsoAccepted is { } also && cause == also);
}
