using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.PhpFpmLog;

/// <summary>
/// What a php-fpm line means for nginx's 502/504 (catalogue section 4.1). FPM never answers HTTP itself,
/// so the status is nginx's symptom when the catalogue names one (a killed child: 502), else 0.
/// </summary>
public static class PhpFpmClassifier
{
    private const int SigQuit = 3;

    public static Classification Classify(in PhpFpmLine line) => line.Kind switch
    {
        // EAGAIN (502) on unix sockets or read timeouts (504) on TCP: which one depends on nginx's side.
        PhpFpmEventKind.MaxChildrenReached or PhpFpmEventKind.ProcessMaxReached => new(Cause.FpmPoolExhausted, 0),
        // SIGQUIT is a graceful stop; SIGKILL (OOM or scale-down), SIGTERM (request_terminate_timeout),
        // SIGSEGV/SIGBUS (crash) cut the request: nginx logs a premature close, 502.
        PhpFpmEventKind.ChildExitedOnSignal when line.Code != SigQuit => new(Cause.UpstreamCrash, 502),
        PhpFpmEventKind.ChildExitedWithCode when line.Code != 0 => new(Cause.UpstreamCrash, 502),
        PhpFpmEventKind.RequestTerminated or PhpFpmEventKind.EmergencyRestart => new(Cause.UpstreamCrash, 502),
        // FPM is not running: nginx sees (2: No such file) or (111) until it is.
        PhpFpmEventKind.StartupFailure or PhpFpmEventKind.MasterStopping => new(Cause.BackendDown, 502),
        _ => Classification.None,
    };
}
