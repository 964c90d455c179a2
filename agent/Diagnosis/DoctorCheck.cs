namespace Fleet502.Agent.Diagnosis;

/// <summary>One check of the scan and what it found, for the progress lines and the report.</summary>
/// <param name="Name">"nginx -T", "error log /var/log/nginx/error.log", "listeners", ...</param>
/// <param name="Status">Whether it ran.</param>
/// <param name="Detail">What it found, or why it could not run.</param>
/// <param name="Essential">Without it the host cannot be called healthy (the error logs).</param>
public sealed record DoctorCheck(string Name, CheckStatus Status, string Detail, bool Essential = false);
