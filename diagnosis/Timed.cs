namespace Fleet502.Diagnosis;

/// <summary>A piece of host state with the time it was sampled (or logged), for evidence and ordering.</summary>
/// <typeparam name="T">The proto message.</typeparam>
/// <param name="At">When the agent sampled it.</param>
/// <param name="Value">The state.</param>
public sealed record Timed<T>(DateTimeOffset At, T Value);
