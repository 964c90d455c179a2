using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.Supervisors;

/// <summary>One kind of process supervisor (systemd, pm2, Docker, supervisord) read through its native interface.</summary>
public interface IServiceSupervisor
{
    SupervisorKind Kind { get; }

    /// <summary>Prefix of service names in listener events ("pm2:", "docker:", ...); empty for systemd units.</summary>
    string ServicePrefix { get; }

    /// <summary>Whether this supervisor exists on the host (its socket or binary is there): absent ones are skipped silently.</summary>
    bool IsPresent();

    /// <summary>Every service it supervises now. Throws <see cref="SupervisorUnavailableException"/> when it cannot be asked.</summary>
    Task<IReadOnlyList<ServiceState>> ReadAsync(CancellationToken cancellationToken);
}
