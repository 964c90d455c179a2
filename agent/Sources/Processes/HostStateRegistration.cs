using Fleet502.Agent.Configuration;
using Fleet502.Agent.Shipping;
using Fleet502.Agent.Sources.Kernel;
using Fleet502.Agent.Sources.Listeners;
using Fleet502.Agent.Sources.PhpFpm;
using Fleet502.Agent.Sources.Supervisors;
using Fleet502.Agent.Sources.Supervisors.Docker;
using Fleet502.Agent.Sources.Supervisors.Pm2;
using Fleet502.Agent.Sources.Supervisors.Supervisord;
using Fleet502.Agent.Sources.Supervisors.Systemd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet502.Agent.Sources.Processes;

/// <summary>Registers the host-state samplers: listeners, supervisors, PHP-FPM pools, kernel OOM kills.</summary>
public static class HostStateRegistration
{
    public static IServiceCollection AddHostState(this IServiceCollection services)
    {
        services.AddSingleton<ServiceDirectory>();
        services.AddSingleton(new ProcNetReader());
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<AgentOptions>>().Value.Listeners;
            var client = o.ClientUser is { Length: > 0 } user
                ? UnixAccount.Find(user)
                : UnixAccount.NginxUsers.Select(u => UnixAccount.Find(u)).FirstOrDefault(a => a is not null);
            return new ListenerSnapshotBuilder(
                sp.GetRequiredService<ProcNetReader>(),
                new SocketOwnerIndex(sp.GetRequiredService<TimeProvider>(), retryUnresolved: o.FullSnapshotInterval),
                new ProcessInfoReader(),
                new UnixSocketInspector(client),
                sp.GetRequiredService<ServiceDirectory>(),
                o.WatchUnixPaths);
        });
        services.AddHostedService<ListenerSampler>();

        services.AddHostedService(sp =>
        {
            var o = sp.GetRequiredService<IOptions<AgentOptions>>().Value.Supervisors;
            var time = sp.GetRequiredService<TimeProvider>();
            var supervisors = new List<IServiceSupervisor>();
            if (o.Systemd.Enabled)
            {
                supervisors.Add(new SystemdSupervisor(o.Systemd.Units, o.Systemd.SystemctlPath));
            }

            if (o.Supervisord.Enabled)
            {
                var http = UnixSocketHttp.Create(o.Supervisord.SocketPath, TimeSpan.FromSeconds(5));
                supervisors.Add(new SupervisordSupervisor(new SupervisordClient(http, o.Supervisord.Username, o.Supervisord.Password), o.Supervisord.SocketPath));
            }

            if (o.Docker.Enabled)
            {
                supervisors.Add(new DockerSupervisor(UnixSocketHttp.Create(o.Docker.SocketPath, TimeSpan.FromSeconds(5)), o.Docker.SocketPath));
            }

            if (o.Pm2.Enabled)
            {
                supervisors.Add(new Pm2Supervisor(o.Pm2.Pm2Path, o.Pm2.Pm2Home, o.Pm2.Interval, time));
            }

            return new ServiceStateSampler(supervisors, sp.GetRequiredService<EventQueue>(), sp.GetRequiredService<ServiceDirectory>(),
                sp.GetRequiredService<ILogger<ServiceStateSampler>>(), time, o.SampleInterval, o.FullSnapshotInterval);
        });

        services.AddHostedService(sp =>
        {
            var o = sp.GetRequiredService<IOptions<AgentOptions>>().Value.PhpFpm;
            var readers = FpmPoolDiscovery.Readers(o, sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FpmPoolDiscovery)));
            return new FpmPoolSampler(readers, sp.GetRequiredService<EventQueue>(), sp.GetRequiredService<ILogger<FpmPoolSampler>>(),
                sp.GetRequiredService<TimeProvider>(), o.SampleInterval, o.FullSnapshotInterval);
        });

        services.AddHostedService(sp =>
        {
            var o = sp.GetRequiredService<IOptions<AgentOptions>>().Value.Kernel;
            return new OomKillSource(sp.GetRequiredService<EventQueue>(), sp.GetRequiredService<ILogger<OomKillSource>>(),
                sp.GetRequiredService<TimeProvider>(), o);
        });
        return services;
    }
}
