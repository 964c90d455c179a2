using System.Globalization;
using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis.Rules;

/// <summary>
/// "connect() to unix:/run/app.sock failed (13: Permission denied)". The socket lives on the
/// reporting host; the agent's check of the path for nginx's user (mode, owner, every parent
/// directory) says which permission is missing.
/// </summary>
public sealed class SocketPermissionRule : IDiagnosisRule
{
    public const string RuleName = "socket_permission";

    public string Name => RuleName;

    public bool AppliesTo(Symptom symptom) =>
        symptom.Cause == Cause.SocketPermission && symptom.Target.Kind == TargetKind.Unix;

    public Verdict? Evaluate(Symptom symptom, HostState? owner)
    {
        var host = owner ?? symptom.Reporter;
        var path = symptom.Target.UnixPath!;
        var generic = $"let nginx's worker user connect to {path}: php-fpm listen.owner/listen.group = that user and listen.mode = 0660, " +
            "or chmod/chown the socket (and let it search every parent directory)";
        if (host.Listeners is not { } listeners || host.ListenersAt is not { } sampledAt
            || ListenerMatch.PathState(listeners, symptom.Target) is not { } state)
        {
            return new Verdict(Cause.SocketPermission, 0.7, $"socket permission: nginx may not connect to {path} on {host.Hostname}", generic, Tiers.App,
                [new EvidenceItem(symptom.Time, host.Hostname, "listeners", $"{host.Hostname}: the agent does not watch {path}, so its permissions were not checked")]);
        }

        var mode = Mode(state.Mode);
        var who = string.IsNullOrEmpty(state.ClientUser) ? "nginx's user" : state.ClientUser;
        var evidence = new List<EvidenceItem>
        {
            new(sampledAt, host.Hostname, "listeners",
                $"{host.Hostname}: {path} is {mode} {Who(state.Owner, state.Uid)}:{Who(state.Group, state.Gid)}; " +
                (string.IsNullOrEmpty(state.ClientUser) ? "nginx's user is unknown to the agent" : $"{who} {(state.ClientCanConnect ? "can" : "cannot")} connect") +
                (string.IsNullOrEmpty(state.Problem) ? "" : $" ({state.Problem})")),
        };
        var checkedFor = !string.IsNullOrEmpty(state.ClientUser);
        if (checkedFor && state.ClientCanConnect && sampledAt >= symptom.Time)
        {
            return null; // fixed already: the check after the error says nginx may connect
        }

        if (listeners.Listeners.FirstOrDefault(l => ListenerMatch.Accepts(l, symptom.Target)) is { } listener)
        {
            evidence.Add(new(sampledAt, host.Hostname, "listeners", $"{host.Hostname}: {ListenerMatch.Describe(listener)} listens on {path}"));
        }

        var fix = !string.IsNullOrEmpty(state.Problem) && state.Problem.Contains("search", StringComparison.Ordinal)
            ? $"let {who} traverse the directories above {path} ({state.Problem}): chmod o+x on them, or move the socket to /run"
            : $"let {who} connect: in the php-fpm pool set listen.owner = {who}, listen.group = {who}, listen.mode = 0660 " +
              $"(or chgrp {who} {path} && chmod 660 {path} for other servers)";
        return new Verdict(Cause.SocketPermission, !checkedFor ? 0.7 : state.ClientCanConnect ? 0.6 : 0.95,
            $"socket permission: {who} may not connect to {path} on {host.Hostname} ({mode} {Who(state.Owner, state.Uid)}:{Who(state.Group, state.Gid)})",
            fix, Tiers.App, evidence);
    }

    public EvidenceItem? ConfirmRecovery(TargetAddress target, HostState? owner, DateTimeOffset now)
    {
        if (owner?.Listeners is { } listeners && owner.ListenersAt is { } sampledAt && ListenerMatch.PathState(listeners, target) is { } state)
        {
            // Without a known client user the check proves nothing either way.
            return state.ClientCanConnect || string.IsNullOrEmpty(state.ClientUser)
                ? new EvidenceItem(sampledAt, owner.Hostname, "listeners", $"{owner.Hostname}: {state.ClientUser} can connect to {target.UnixPath} again")
                : null;
        }

        return new EvidenceItem(now, owner?.Hostname ?? "collector", "collector", $"no new errors toward {target}; its permissions are not watched");
    }

    private static string Mode(uint mode) => "0" + Convert.ToString(mode & 0xFFF, 8).PadLeft(3, '0');

    private static string Who(string name, uint id) => string.IsNullOrEmpty(name) ? id.ToString(CultureInfo.InvariantCulture) : name;
}
