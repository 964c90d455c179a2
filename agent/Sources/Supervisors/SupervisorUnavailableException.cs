namespace Fleet502.Agent.Sources.Supervisors;

/// <summary>A supervisor is present but cannot be asked (EACCES on its socket, a protocol error, a timeout).</summary>
public sealed class SupervisorUnavailableException : Exception
{
    public SupervisorUnavailableException()
    {
    }

    public SupervisorUnavailableException(string message)
        : base(message)
    {
    }

    public SupervisorUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
