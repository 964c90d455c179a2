namespace Fleet502.Agent.Configuration;

/// <summary>One pool: where to ask and which path serves its status.</summary>
public sealed class FpmPoolOptions
{
    /// <summary>
    /// The pool's <c>pm.status_listen</c> (best: answered even when every child is busy) or its
    /// <c>listen</c>: "unix:/run/php/php8.2-fpm.sock", "127.0.0.1:9000".
    /// </summary>
    public string Endpoint { get; set; } = "";

    /// <summary>The pool's <c>pm.status_path</c>. Default <c>/status</c>.</summary>
    public string StatusPath { get; set; } = "/status";
}
