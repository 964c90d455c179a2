namespace Fleet502.Agent.Diagnosis;

public enum CheckStatus
{
    /// <summary>The check ran.</summary>
    Ok,

    /// <summary>Nothing to check here (no supervisor of that kind on this host).</summary>
    Skipped,

    /// <summary>The check could not run: the detail says why (permissions, missing file).</summary>
    Failed,
}
