namespace Fleet502.Agent.Sources.PhpFpmLog;

/// <summary>php-fpm's log levels (zlog).</summary>
public enum PhpFpmLevel : byte
{
    Unknown = 0,
    Debug,
    Notice,
    Warning,
    Error,
    Alert,
}
