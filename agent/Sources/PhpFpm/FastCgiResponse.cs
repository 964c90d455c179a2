namespace Fleet502.Agent.Sources.PhpFpm;

/// <summary>A responder's answer: CGI status (200 when the script sets none), headers, body, stderr.</summary>
public sealed record FastCgiResponse(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body, string Stderr);
