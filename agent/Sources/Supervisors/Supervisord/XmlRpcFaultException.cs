namespace Fleet502.Agent.Sources.Supervisors.Supervisord;

/// <summary>An XML-RPC &lt;fault&gt; answer (supervisord: BAD_NAME, NOT_RUNNING, ...).</summary>
public sealed class XmlRpcFaultException : Exception
{
    public XmlRpcFaultException()
    {
    }

    public XmlRpcFaultException(string message)
        : base(message)
    {
    }

    public XmlRpcFaultException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public XmlRpcFaultException(int code, string message)
        : base($"{code}: {message}")
    {
        Code = code;
    }

    public int Code { get; }
}
