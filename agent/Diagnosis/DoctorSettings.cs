namespace Fleet502.Agent.Diagnosis;

/// <summary>What <c>fleet502-agent doctor</c> looks at: the logs, how to ask nginx, how far back.</summary>
/// <param name="ErrorLogs">nginx error logs to read; empty: the ones <c>nginx -T</c> names, else /var/log/nginx/error.log.</param>
/// <param name="AccessLogs">nginx access logs; empty: the ones <c>nginx -T</c> names, else /var/log/nginx/access.log.</param>
/// <param name="NginxBinary">The nginx to ask for <c>-T</c>.</param>
/// <param name="NginxArguments">Extra arguments for it (<c>-p</c>, <c>-c</c>).</param>
/// <param name="Since">How far back log lines count.</param>
/// <param name="MaxBytesPerLog">How much of each log's end is read at most.</param>
public sealed record DoctorSettings(
    IReadOnlyList<string> ErrorLogs,
    IReadOnlyList<string> AccessLogs,
    string NginxBinary,
    IReadOnlyList<string> NginxArguments,
    TimeSpan Since,
    long MaxBytesPerLog = 16L * 1024 * 1024)
{
    /// <summary>Public URLs to request through the CDN in front of this origin (<c>--url</c>).</summary>
    public IReadOnlyList<Uri> Urls { get; init; } = [];

    /// <summary>host:port where the CDN should reach this origin (<c>--origin</c>); default: nginx's listen address for the URL's host.</summary>
    public string? Origin { get; init; }
}
