using System.Globalization;
using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis;

/// <summary>
/// Why a supervised service is not serving, in the words an SRE would use: OOM-killed, unit
/// failed, crash loop, stopped, container exited, pm2 errored, never started; with the time and a
/// fix in the supervisor's own commands.
/// </summary>
/// <param name="Phrase">"was OOM-killed at 12:03:01", "is in a crash loop (7 restarts)", ...</param>
/// <param name="At">When that happened, when known.</param>
/// <param name="Down">False when the service is running (then the phrase says so).</param>
/// <param name="OomKill">The kernel's kill line that matches the service, when one does.</param>
/// <param name="Fix">What to run.</param>
public sealed record ServiceWhy(string Phrase, DateTimeOffset? At, bool Down, Timed<OomKill>? OomKill, string Fix)
{
    /// <summary>How far before the symptom a kernel OOM kill still counts as its cause.</summary>
    public static readonly TimeSpan OomWindow = TimeSpan.FromMinutes(15);

    /// <summary>Restarts from which a restarting service is called a crash loop.</summary>
    public const uint CrashLoopRestarts = 3;

    public bool OomKilled => OomKill is not null || Phrase.Contains("OOM-killed", StringComparison.Ordinal);

    public static ServiceWhy Of(HostState host, ServiceOwner owner, DateTimeOffset around)
    {
        var s = owner.Service.Value;
        var since = s.StateSince?.ToDateTimeOffset();
        var at = since ?? owner.Service.At;
        var kill = FindOomKill(host, s, owner.Listener, around);
        var commands = Commands(s);
        if (kill is not null || s.OomKilled || s.Result.Contains("oom", StringComparison.OrdinalIgnoreCase))
        {
            var killedAt = kill?.At ?? at;
            var rss = kill is { Value.AnonRssKb: > 0 } k ? string.Create(CultureInfo.InvariantCulture, $" with {k.Value.AnonRssKb / 1024} MiB anon-rss") : "";
            return new ServiceWhy($"was OOM-killed at {TimeText.Of(killedAt)}{rss}", killedAt, s.Status != ServiceStatus.Running, kill,
                $"{MemoryFix(s)}; then {commands.Start}");
        }

        var exit = ExitText(s);
        return s.Status switch
        {
            ServiceStatus.Restarting or ServiceStatus.Failed when s.Restarts >= CrashLoopRestarts =>
                new($"is in a crash loop ({s.Restarts} restarts, {Raw(s)}{exit})", at, true, null, $"read why it exits: {commands.Logs}; fix that, then {commands.Start}"),
            ServiceStatus.Restarting =>
                new($"is restarting after it exited{exit} at {TimeText.Of(at)}", at, true, null, $"read why it exits: {commands.Logs}"),
            ServiceStatus.Failed when s.Supervisor == SupervisorKind.Pm2 =>
                new($"is errored in pm2 since {TimeText.Of(at)}{exit}", at, true, null, $"{commands.Logs}; then {commands.Start}"),
            ServiceStatus.Failed =>
                new($"failed at {TimeText.Of(at)} ({Raw(s)}{Result(s)}{exit})", at, true, null, $"{commands.Logs}; then {commands.Start}"),
            ServiceStatus.Exited when s.Supervisor == SupervisorKind.Docker =>
                new($"container exited at {TimeText.Of(at)}{exit}", at, true, null, $"{commands.Logs}; then {commands.Start}"),
            ServiceStatus.Exited =>
                new($"exited at {TimeText.Of(at)}{exit} and was not restarted", at, true, null, $"{commands.Logs}; then {commands.Start}"),
            ServiceStatus.Stopped when since is null && s.Restarts == 0 && s.ExitCode == 0 && s.ExitSignal == 0 =>
                new("was never started", null, true, null, $"{commands.Start} (and enable it at boot)"),
            ServiceStatus.Stopped =>
                new($"was stopped at {TimeText.Of(at)} ({Raw(s)})", at, true, null, commands.Start),
            ServiceStatus.Running =>
                new($"is running (pid {s.MainPid})", at, false, null, ""),
            _ => new($"is {Raw(s)}", at, s.Status != ServiceStatus.Starting, null, commands.Start),
        };
    }

    /// <summary>A kernel OOM kill of the service's process, unit, container or listener, within <see cref="OomWindow"/> before <paramref name="around"/>.</summary>
    public static Timed<OomKill>? FindOomKill(HostState host, ServiceState service, Listener? listener, DateTimeOffset around) =>
        host.OomKills.LastOrDefault(k => k.At <= around + TimeSpan.FromMinutes(1) && k.At >= around - OomWindow && Matches(k.Value, service, listener));

    private static bool Matches(OomKill kill, ServiceState? service, Listener? listener) =>
        (service is not null && ((kill.Pid > 0 && kill.Pid == service.MainPid)
            || (!string.IsNullOrEmpty(kill.SystemdUnit) && kill.SystemdUnit == service.Name)
            || (!string.IsNullOrEmpty(kill.ContainerId) && !string.IsNullOrEmpty(service.Id) && kill.ContainerId.StartsWith(service.Id, StringComparison.Ordinal))))
        || (listener is not null && ((kill.Pid > 0 && kill.Pid == listener.Pid)
            || (!string.IsNullOrEmpty(kill.SystemdUnit) && kill.SystemdUnit == listener.SystemdUnit)));

    /// <summary>A kill of the listener's process when no service is known (a bare process).</summary>
    public static Timed<OomKill>? FindOomKill(HostState host, Listener listener, DateTimeOffset around) =>
        host.OomKills.LastOrDefault(k => k.At <= around + TimeSpan.FromMinutes(1) && k.At >= around - OomWindow
            && (Matches(k.Value, null, listener) || (!string.IsNullOrEmpty(listener.Process) && k.Value.Process == listener.Process)));

    private static string Raw(ServiceState s) => string.IsNullOrEmpty(s.RawState) ? ProtoEnumName.ToSnakeCase(s.Status) : s.RawState;

    private static string Result(ServiceState s) => string.IsNullOrEmpty(s.Result) ? "" : $", result {s.Result}";

    private static string ExitText(ServiceState s) => s switch
    {
        { ExitSignal: > 0 } => string.Create(CultureInfo.InvariantCulture, $", killed by signal {s.ExitSignal}"),
        { ExitCode: not 0 } => string.Create(CultureInfo.InvariantCulture, $", exit code {s.ExitCode}"),
        _ => "",
    };

    private static string MemoryFix(ServiceState s) => s.Supervisor switch
    {
        SupervisorKind.Systemd => $"find the leak or raise MemoryMax= of {s.Name} (systemctl edit {s.Name}), or add memory to the host",
        SupervisorKind.Docker => $"find the leak or raise the memory limit of container {s.Name} (--memory)",
        SupervisorKind.Pm2 => $"find the leak or set max_memory_restart for {s.Name} below the host's free memory",
        _ => $"find the leak in {s.Name} or add memory to the host",
    };

    private static (string Logs, string Start) Commands(ServiceState s) => s.Supervisor switch
    {
        SupervisorKind.Systemd => ($"journalctl -u {s.Name} -n 100", $"systemctl restart {s.Name}"),
        SupervisorKind.Docker => ($"docker logs --tail 100 {s.Name}", $"docker start {s.Name}"),
        SupervisorKind.Pm2 => ($"pm2 logs {s.Name} --lines 100", $"pm2 restart {s.Name}"),
        SupervisorKind.Supervisord => ($"supervisorctl tail {s.Name} stderr", $"supervisorctl start {s.Name}"),
        _ => ($"read the logs of {s.Name}", $"start {s.Name}"),
    };
}
