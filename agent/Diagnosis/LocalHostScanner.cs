using System.Collections.Immutable;
using System.Net;
using System.Net.NetworkInformation;
using Fleet502.Agent.Configuration;
using Fleet502.Agent.Sources.Kernel;
using Fleet502.Agent.Sources.Listeners;
using Fleet502.Agent.Sources.NginxAccessLog;
using Fleet502.Agent.Sources.NginxConfig;
using Fleet502.Agent.Sources.PhpFpm;
using Fleet502.Agent.Sources.Processes;
using Fleet502.Agent.Sources.Supervisors;
using Fleet502.Agent.Sources.Supervisors.Docker;
using Fleet502.Agent.Sources.Supervisors.Pm2;
using Fleet502.Agent.Sources.Supervisors.Supervisord;
using Fleet502.Agent.Sources.Supervisors.Systemd;
using Fleet502.Diagnosis;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Diagnosis;

/// <summary>
/// One pass of every check the agent runs continuously, on this host, once: nginx -T, the end of
/// the error and access logs, supervisors, listeners and unix sockets, PHP-FPM pools and the
/// kernel's OOM kills. A check that cannot run is reported, never fatal.
/// </summary>
public sealed class LocalHostScanner(DoctorSettings settings, AgentOptions options, TimeProvider time)
{
    public const int Steps = 8;
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Called before each step: (step number, what it checks).</summary>
    public Action<int, string>? Starting { get; init; }

    /// <summary>Called after each check with what it found.</summary>
    public Action<DoctorCheck>? Finished { get; init; }

    public async Task<LocalScan> ScanAsync(CancellationToken cancellationToken)
    {
        var checks = new List<DoctorCheck>();
        void Done(DoctorCheck check)
        {
            checks.Add(check);
            Finished?.Invoke(check);
        }

        Starting?.Invoke(1, "nginx configuration (nginx -T)");
        var config = await ReadConfigAsync(Done, cancellationToken);

        Starting?.Invoke(2, "nginx error logs");
        var errors = new RecentErrors(time);
        foreach (var path in ErrorLogs(config))
        {
            try
            {
                errors.Read(path, settings.Since, settings.MaxBytesPerLog);
                Done(new DoctorCheck($"error log {path}", CheckStatus.Ok,
                    $"{errors.Lines} lines in the last {Minutes(settings.Since)}, {errors.Failures} upstream failures", Essential: true));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Done(new DoctorCheck($"error log {path}", CheckStatus.Failed, e.Message, Essential: true));
            }
        }

        Starting?.Invoke(3, "nginx access logs");
        var access = new RecentAccess(time);
        foreach (var (path, format) in AccessLogs(config))
        {
            try
            {
                access.Read(path, format, settings.Since, settings.MaxBytesPerLog);
                Done(new DoctorCheck($"access log {path}", CheckStatus.Ok,
                    $"{access.Traffic.Sum(t => (long)t.Requests)} requests in the last {Minutes(settings.Since)} (log_format {format.Name}), {access.Malformed} lines that do not match it"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                Done(new DoctorCheck($"access log {path}", CheckStatus.Failed, e.Message));
            }
        }

        Starting?.Invoke(4, "process supervisors (systemd, supervisord, docker, pm2)");
        var directory = new ServiceDirectory();
        var services = await ReadSupervisorsAsync(directory, Done, cancellationToken);

        Starting?.Invoke(5, "listening sockets and unix socket paths");
        var watched = WatchedUnixPaths(config, errors.Events());
        ListenerSnapshot? listeners = null;
        try
        {
            var o = options.Listeners;
            var client = o.ClientUser is { Length: > 0 } user
                ? UnixAccount.Find(user)
                : UnixAccount.NginxUsers.Select(u => UnixAccount.Find(u)).FirstOrDefault(a => a is not null);
            var builder = new ListenerSnapshotBuilder(new ProcNetReader(), new SocketOwnerIndex(time), new ProcessInfoReader(),
                new UnixSocketInspector(client), directory, watched);
            listeners = builder.Build();
            var tcp = listeners.Listeners.Count(l => l.Transport != Transport.Unix);
            var detail = $"{tcp} TCP and {listeners.Listeners.Count - tcp} unix listeners, {watched.Count} socket paths nginx uses";
            Done(new DoctorCheck("listeners", CheckStatus.Ok,
                listeners.MissingCapabilities.Count > 0 ? detail + "; " + string.Join("; ", listeners.MissingCapabilities) : detail));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Done(new DoctorCheck("listeners", CheckStatus.Failed, e.Message));
        }

        var listenersAt = time.GetUtcNow();

        Starting?.Invoke(6, "PHP-FPM pools");
        var pools = await ReadPoolsAsync(Done, cancellationToken);

        Starting?.Invoke(7, "kernel OOM kills (/dev/kmsg)");
        var kills = ReadOomKills(Done);

        Starting?.Invoke(8, "requests through the CDN (--url)");
        var events = errors.Events().ToList();
        if (settings.Urls.Count == 0)
        {
            Done(new DoctorCheck("CDN probe", CheckStatus.Skipped, "no --url given"));
        }

        foreach (var url in settings.Urls)
        {
            var origin = settings.Origin ?? OriginFor(config, url);
            try
            {
                var probe = await CdnProbe.RunAsync(url, origin, time, cancellationToken);
                Done(new DoctorCheck($"CDN probe {url}", CheckStatus.Ok, probe.Summary));
                if (probe.Symptom is { } symptom)
                {
                    events.Add(symptom);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Net.Sockets.SocketException)
            {
                Done(new DoctorCheck($"CDN probe {url}", CheckStatus.Failed, e.Message));
            }
        }

        var hostname = options.Hostname is { Length: > 0 } h ? h : Environment.MachineName;
        var host = new HostState(options.AgentId is { Length: > 0 } id ? id : hostname, hostname, LocalAddresses(), listeners, listeners is null ? null : listenersAt)
        {
            Services = services,
            FpmPools = pools,
            OomKills = kills,
            ProxyConfig = config is null ? null : new Timed<ProxyConfig>(listenersAt, config.Config),
            LastHeard = listenersAt,
            Connected = true,
        };
        return new LocalScan(host, events, access.Traffic, checks);
    }

    private async Task<NginxConfigSnapshot?> ReadConfigAsync(Action<DoctorCheck> done, CancellationToken cancellationToken)
    {
        try
        {
            var run = await NginxCommand.RunAsync(settings.NginxBinary, ["-T", .. settings.NginxArguments], CommandTimeout, cancellationToken);
            var snapshot = NginxConfigReader.Build(settings.NginxBinary, run);
            if (snapshot.Config.Error.Length > 0)
            {
                done(new DoctorCheck("nginx -T", CheckStatus.Failed, $"{settings.NginxBinary} -T: {FirstLine(snapshot.Config.Error)}"));
                return null;
            }

            var c = snapshot.Config;
            done(new DoctorCheck("nginx -T", CheckStatus.Ok,
                $"{c.Files.Count} files, {c.Routes.Count} *_pass routes, {c.Upstreams.Count} upstream blocks, {c.ErrorLogs.Count} error_log and {c.AccessLogs.Count} access_log directives"));
            return snapshot;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            done(new DoctorCheck("nginx -T", CheckStatus.Failed, $"{settings.NginxBinary}: {e.Message}"));
            return null;
        }
    }

    // Where the CDN connects: the listen address of nginx's server for the URL's host (its first one, else any).
    private static string OriginFor(NginxConfigSnapshot? config, Uri url)
    {
        var routes = config?.Config.Routes ?? [];
        var route = routes.FirstOrDefault(r => r.ServerNames.Contains(url.Host, StringComparer.OrdinalIgnoreCase)) ?? routes.FirstOrDefault();
        var listen = route?.Listen.FirstOrDefault()?.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "80";
        var colon = listen.LastIndexOf(':');
        var host = colon > 0 ? listen[..colon] : "";
        var port = colon >= 0 ? listen[(colon + 1)..] : listen;
        return host is "" or "*" or "0.0.0.0" or "[::]" ? $"127.0.0.1:{port}" : $"{host}:{port}";
    }

    private IReadOnlyList<string> ErrorLogs(NginxConfigSnapshot? config)
    {
        if (settings.ErrorLogs.Count > 0)
        {
            return settings.ErrorLogs;
        }

        var named = config?.TailableErrorLogs().ToList() ?? [];
        return named.Count > 0 ? named : ["/var/log/nginx/error.log"];
    }

    private IEnumerable<(string Path, LogFormat Format)> AccessLogs(NginxConfigSnapshot? config)
    {
        if (settings.AccessLogs.Count > 0)
        {
            var format = AccessLogTargets.FormatFor(options.Nginx.LogFormat ?? "combined", config);
            return settings.AccessLogs.Select(p => (p, format));
        }

        var named = config?.TailableAccessLogs().ToList() ?? [];
        return named.Count > 0
            ? named.Select(l => (l.Path, AccessLogTargets.FormatFor(l.Format, config)))
            : [(AccessLogTargets.DefaultPath, AccessLogTargets.FormatFor("combined", config))];
    }

    private async Task<ImmutableDictionary<string, Timed<ServiceState>>> ReadSupervisorsAsync(
        ServiceDirectory directory, Action<DoctorCheck> done, CancellationToken cancellationToken)
    {
        var o = options.Supervisors;
        var supervisors = new List<(string Name, IServiceSupervisor Supervisor)>();
        var owned = new List<IDisposable>();
        if (o.Systemd.Enabled)
        {
            supervisors.Add(("systemd", new SystemdSupervisor(o.Systemd.Units, o.Systemd.SystemctlPath)));
        }

        if (o.Supervisord.Enabled)
        {
            var http = UnixSocketHttp.Create(o.Supervisord.SocketPath, TimeSpan.FromSeconds(5));
            owned.Add(http);
            supervisors.Add(("supervisord", new SupervisordSupervisor(new SupervisordClient(http, o.Supervisord.Username, o.Supervisord.Password), o.Supervisord.SocketPath)));
        }

        if (o.Docker.Enabled)
        {
            var http = UnixSocketHttp.Create(o.Docker.SocketPath, TimeSpan.FromSeconds(5));
            owned.Add(http);
            supervisors.Add(("docker", new DockerSupervisor(http, o.Docker.SocketPath)));
        }

        if (o.Pm2.Enabled)
        {
            supervisors.Add(("pm2", new Pm2Supervisor(o.Pm2.Pm2Path, o.Pm2.Pm2Home, o.Pm2.Interval, time)));
        }

        var services = ImmutableDictionary<string, Timed<ServiceState>>.Empty.WithComparers(StringComparer.Ordinal);
        try
        {
            foreach (var (name, supervisor) in supervisors)
            {
                if (!supervisor.IsPresent())
                {
                    done(new DoctorCheck(name, CheckStatus.Skipped, "not on this host"));
                    continue;
                }

                try
                {
                    var states = await supervisor.ReadAsync(cancellationToken);
                    var at = time.GetUtcNow();
                    foreach (var state in states)
                    {
                        services = services.SetItem(HostState.ServiceKey(state), new Timed<ServiceState>(at, state));
                    }

                    directory.Publish(supervisor.ServicePrefix.Length == 0 ? "systemd:" : supervisor.ServicePrefix,
                        states.Select(s => KeyValuePair.Create(s.MainPid, supervisor.ServicePrefix + s.Name)));
                    var down = states.Count(s => s.Status is not (ServiceStatus.Running or ServiceStatus.Starting));
                    done(new DoctorCheck(name, CheckStatus.Ok, $"{states.Count} services, {down} not running"));
                }
                catch (Exception e) when (e is SupervisorUnavailableException or IOException or HttpRequestException or TimeoutException or UnauthorizedAccessException)
                {
                    done(new DoctorCheck(name, CheckStatus.Failed, e.Message));
                }
            }
        }
        finally
        {
            owned.ForEach(d => d.Dispose());
        }

        return services;
    }

    private async Task<ImmutableDictionary<string, Timed<FpmPool>>> ReadPoolsAsync(Action<DoctorCheck> done, CancellationToken cancellationToken)
    {
        var pools = ImmutableDictionary<string, Timed<FpmPool>>.Empty.WithComparers(StringComparer.Ordinal);
        if (options.PhpFpm.Pools.Count == 0)
        {
            done(new DoctorCheck("PHP-FPM pools", CheckStatus.Skipped, "no pool status pages configured (PhpFpm:Pools in the agent's config)"));
            return pools;
        }

        foreach (var pool in options.PhpFpm.Pools)
        {
            try
            {
                var reader = new FpmStatusReader(FastCgiEndpoint.Parse(pool.Endpoint), pool.StatusPath, options.PhpFpm.Timeout);
                var status = await reader.ReadAsync(cancellationToken);
                pools = pools.SetItem(status.Endpoint.Length > 0 ? status.Endpoint : pool.Endpoint, new Timed<FpmPool>(time.GetUtcNow(), status));
                done(new DoctorCheck($"PHP-FPM pool {pool.Endpoint}", status.Reachable ? CheckStatus.Ok : CheckStatus.Failed,
                    status.Reachable
                        ? $"pool {status.Pool}: {status.ActiveProcesses}/{status.TotalProcesses} busy, listen queue {status.ListenQueue}, max_children reached {status.MaxChildrenReached} times"
                        : status.Error));
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                done(new DoctorCheck($"PHP-FPM pool {pool.Endpoint}", CheckStatus.Failed, e.Message));
            }
        }

        return pools;
    }

    private ImmutableList<Timed<OomKill>> ReadOomKills(Action<DoctorCheck> done)
    {
        var kills = ImmutableList<Timed<OomKill>>.Empty;
        if (!options.Kernel.Enabled)
        {
            done(new DoctorCheck("OOM kills", CheckStatus.Skipped, "Kernel:Enabled is false"));
            return kills;
        }

        try
        {
            using var reader = KmsgReader.Open(options.Kernel.KmsgPath);
            var parser = new OomKillParser();
            var now = time.GetUtcNow();
            var uptime = TimeSpan.FromMilliseconds(Environment.TickCount64);
            while (reader.TryRead() is { } record)
            {
                if (!KmsgRecord.TryParse(record, out var r) || parser.Feed(r.Message, r.Microseconds) is not { } kill)
                {
                    continue;
                }

                // kmsg stamps are microseconds since boot: place them on the wall clock.
                var age = uptime - TimeSpan.FromMicroseconds(r.Microseconds);
                if (age <= settings.Since)
                {
                    kills = kills.Add(new Timed<OomKill>(now - age, kill));
                }
            }

            done(new DoctorCheck("OOM kills", CheckStatus.Ok, $"{kills.Count} in the last {Minutes(settings.Since)}"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            done(new DoctorCheck("OOM kills", CheckStatus.Failed, $"{options.Kernel.KmsgPath}: {e.Message} (run as root to read the kernel log)"));
        }

        return kills;
    }

    // Every unix socket nginx passes to, and every one a failure names: their state is what connect() saw.
    private static List<string> WatchedUnixPaths(NginxConfigSnapshot? config, IReadOnlyList<Event> errors)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var target in config?.Config.Routes.Select(r => r.Target).Concat(config.Config.Upstreams.SelectMany(u => u.Servers).Select(s => s.Address)) ?? [])
        {
            var at = target.IndexOf("unix:", StringComparison.Ordinal);
            if (at >= 0)
            {
                var path = target[(at + 5)..];
                var colon = path.IndexOf(':', StringComparison.Ordinal); // unix:/run/app.sock:/uri
                paths.Add(colon > 0 ? path[..colon] : path);
            }
        }

        foreach (var e in errors)
        {
            if (e.UpstreamError.Target?.UnixPath is { Length: > 0 } path)
            {
                paths.Add(path);
            }
        }

        return [.. paths];
    }

    private static HashSet<IPAddress> LocalAddresses()
    {
        var addresses = new HashSet<IPAddress>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    if (!IPAddress.IsLoopback(unicast.Address))
                    {
                        addresses.Add(unicast.Address);
                    }
                }
            }
        }
        catch (NetworkInformationException)
        {
            // Loopback targets still resolve to this host; other addresses are then "no agent there".
        }

        return addresses;
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static string Minutes(TimeSpan span) => span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0} s";
}
