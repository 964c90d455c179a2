using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis;

/// <summary>
/// The supervised service behind a target, and how it was found: the process listening there now,
/// the one that listened there before (listener history), a service publishing the port, or the
/// only service that is down on the host.
/// </summary>
/// <param name="Service">The service's newest state.</param>
/// <param name="Listener">The listener that tied it to the target, when one did.</param>
/// <param name="ListenerSeenAt">When that listener was last seen.</param>
/// <param name="How">How the link was made, for evidence: "listened on 10.0.0.5:3000 until 12:03:00".</param>
/// <param name="Certain">False when the link is a guess (the only service down on the host).</param>
public sealed record ServiceOwner(Timed<ServiceState> Service, Listener? Listener, DateTimeOffset? ListenerSeenAt, string How, bool Certain)
{
    public string Name => Service.Value.Name;

    /// <summary>Finds the service that owns or owned <paramref name="target"/> on <paramref name="host"/>.</summary>
    public static ServiceOwner? Find(HostState host, TargetAddress target)
    {
        if (host.Services.IsEmpty)
        {
            return null;
        }

        if (host.Listeners is { } snapshot && host.ListenersAt is { } at && ListenerMatch.Find(snapshot, target) is { } current
            && Match(host, current) is { } now)
        {
            return new ServiceOwner(now, current, at, $"{ListenerMatch.Describe(current)} listens on {target}", true);
        }

        // Newest first: the last process that listened there.
        foreach (var past in host.PastListeners.Reverse())
        {
            if (ListenerMatch.Accepts(past.Value, target) && Match(host, past.Value) is { } owned)
            {
                return new ServiceOwner(owned, past.Value, past.At,
                    $"{ListenerMatch.Describe(past.Value)} listened on {target} until {TimeText.Of(past.At)}", true);
            }
        }

        if (target.Kind == TargetKind.Tcp
            && host.Services.Values.FirstOrDefault(s => s.Value.Ports.Any(p => PublishedPort(p) == target.Port)) is { } publishing)
        {
            return new ServiceOwner(publishing, null, null, $"{publishing.Value.Name} publishes port {target.Port}", true);
        }

        var down = host.Services.Values.Where(s => IsDown(s.Value.Status)).ToList();
        return down.Count == 1
            ? new ServiceOwner(down[0], null, null, $"{down[0].Value.Name} is the only service down on {host.Hostname}", false)
            : null;
    }

    /// <summary>Not serving: failed, exited, stopped or restarting.</summary>
    public static bool IsDown(ServiceStatus status) =>
        status is ServiceStatus.Failed or ServiceStatus.Exited or ServiceStatus.Stopped or ServiceStatus.Restarting;

    /// <summary>The service a listener belongs to: by supervisor name, systemd unit, container id, or main pid.</summary>
    public static Timed<ServiceState>? Match(HostState host, Listener listener)
    {
        Timed<ServiceState>? byPid = null;
        foreach (var timed in host.Services.Values)
        {
            var s = timed.Value;
            if (NameMatches(s.Name, listener.Service) || NameMatches(s.Name, listener.SystemdUnit)
                || (!string.IsNullOrEmpty(listener.ContainerId) && (s.Id == listener.ContainerId || listener.ContainerId.StartsWith(s.Id, StringComparison.Ordinal) && s.Id.Length >= 12)))
            {
                return timed;
            }

            if (listener.Pid > 0 && s.MainPid == listener.Pid)
            {
                byPid = timed;
            }
        }

        return byPid;
    }

    /// <summary>The host-side port of "0.0.0.0:8080->80/tcp", "127.0.0.1:3000", "3000/tcp"; 0 when none.</summary>
    public static int PublishedPort(string written)
    {
        var text = written;
        var arrow = text.IndexOf("->", StringComparison.Ordinal);
        if (arrow >= 0)
        {
            text = text[..arrow];
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            text = text[..slash];
        }

        var colon = text.LastIndexOf(':');
        return int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) ? port : 0;
    }

    // "app.service" = "app.service"; supervisord "web:web_00" matches program "web_00"; pm2 "api".
    private static bool NameMatches(string serviceName, string listenerName) =>
        !string.IsNullOrEmpty(listenerName)
        && (string.Equals(serviceName, listenerName, StringComparison.Ordinal)
            || serviceName.EndsWith(":" + listenerName, StringComparison.Ordinal)
            || listenerName.EndsWith(":" + serviceName, StringComparison.Ordinal));
}
