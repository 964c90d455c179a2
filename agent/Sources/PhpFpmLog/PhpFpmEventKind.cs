namespace Fleet502.Agent.Sources.PhpFpmLog;

/// <summary>What a php-fpm log line reports (php-src sapi/fpm/fpm).</summary>
public enum PhpFpmEventKind : byte
{
    Unknown = 0,
    /// <summary><c>server reached [pm.]max_children setting (N), consider raising it</c>.</summary>
    MaxChildrenReached,
    /// <summary><c>seems busy (you may need to increase pm.start_servers ...), spawning N children</c>.</summary>
    SeemsBusy,
    /// <summary><c>child PID exited on signal N (SIGxxx) after S seconds from start</c>.</summary>
    ChildExitedOnSignal,
    /// <summary><c>child PID exited with code N after S seconds from start</c>.</summary>
    ChildExitedWithCode,
    /// <summary><c>child PID started</c>.</summary>
    ChildStarted,
    /// <summary><c>child PID, script 'F' (request: "...") executing too slow (S sec), logging</c>.</summary>
    SlowRequest,
    /// <summary><c>child PID, script 'F' (request: "...") execution timed out (S sec), terminating</c>.</summary>
    RequestTerminated,
    /// <summary><c>child PID said into stderr: "..."</c>.</summary>
    ChildStderr,
    /// <summary><c>The maximum number of processes has been reached</c> (process.max).</summary>
    ProcessMaxReached,
    /// <summary><c>failed processes threshold (N in S sec) is reached, initiating reload</c>.</summary>
    EmergencyRestart,
    /// <summary>An ERROR line at start-up (bad config), or <c>FPM initialization failed</c>: FPM does not run.</summary>
    StartupFailure,
    /// <summary><c>Terminating ...</c>, <c>exiting, bye-bye!</c>: the master stops.</summary>
    MasterStopping,
    /// <summary><c>fpm is running, pid N</c>, <c>ready to handle connections</c>.</summary>
    MasterReady,
    /// <summary>Slowlog header <c>[date]  [pool P] pid N</c>.</summary>
    SlowlogEntry,
    /// <summary>Slowlog <c>script_filename = /path</c>.</summary>
    SlowlogScript,
    /// <summary>Slowlog frame <c>[0x00007f...] function() /path/file.php:LINE</c>.</summary>
    SlowlogFrame,
}
