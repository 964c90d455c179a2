namespace Fleet502.Agent.Configuration;

/// <summary>supervisord, asked over XML-RPC on its unix socket.</summary>
public sealed class SupervisordOptions
{
    /// <summary>Ask supervisord when its socket exists. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The [unix_http_server] file. Default <c>/var/run/supervisor.sock</c> (Debian).</summary>
    public string SocketPath { get; set; } = "/var/run/supervisor.sock";

    /// <summary>[unix_http_server] username/password, when set.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }
}
