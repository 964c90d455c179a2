using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.NginxErrorLog;

/// <summary>What a line blames: a cause and the HTTP status the client got (0 when none).</summary>
public readonly record struct Classification(Cause Cause, int Status)
{
    public static Classification None => default;

    /// <summary>True when the line names an upstream failure (any cause, including unknown).</summary>
    public bool Blames => Cause != Cause.Unspecified;
}
