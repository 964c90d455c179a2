namespace Fleet502.Diagnosis;

public enum TargetKind
{
    /// <summary>host:port, where host is an IP address or a name.</summary>
    Tcp,

    /// <summary>unix:/path.</summary>
    Unix,

    /// <summary>An nginx upstream group: no single address to check.</summary>
    Group,
}
