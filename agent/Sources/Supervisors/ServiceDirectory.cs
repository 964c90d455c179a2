namespace Fleet502.Agent.Sources.Supervisors;

/// <summary>
/// Which supervised service a pid belongs to, as the supervisors last reported their main pids.
/// Written by <see cref="ServiceStateSampler"/>, read by the listener sampler to name a socket's service.
/// </summary>
public sealed class ServiceDirectory
{
    private volatile Dictionary<int, string> _byPid = [];

    /// <summary>Replaces the pids one supervisor reports ("pm2:api", "supervisord:web:web_0", "docker:shop").</summary>
    public void Publish(string prefix, IEnumerable<KeyValuePair<int, string>> pids)
    {
        lock (this)
        {
            var next = _byPid.Where(p => !p.Value.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary();
            foreach (var (pid, name) in pids)
            {
                if (pid > 0)
                {
                    next[pid] = name;
                }
            }

            _byPid = next;
        }
    }

    public string? Find(int pid) => _byPid.GetValueOrDefault(pid);
}
