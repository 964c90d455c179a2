namespace Fleet502.Agent.Sources.NginxErrorLog;

/// <summary>nginx's error_log levels, from least to most severe.</summary>
public enum NginxLogLevel : byte
{
    Unknown = 0,
    Debug,
    Info,
    Notice,
    Warn,
    Error,
    Crit,
    Alert,
    Emerg,
}
