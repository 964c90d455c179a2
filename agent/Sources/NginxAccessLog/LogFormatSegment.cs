namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>One piece of a compiled <c>log_format</c>: literal bytes, or a variable (its name without <c>$</c>).</summary>
public sealed record LogFormatSegment(byte[] Literal, string? Variable)
{
    public bool IsVariable => Variable is not null;
}
