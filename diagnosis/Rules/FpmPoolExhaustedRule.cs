using System.Globalization;
using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis.Rules;

/// <summary>
/// Every PHP-FPM child is busy: nginx gets EAGAIN on the pool's socket (backlog full) or php-fpm
/// logs "server reached pm.max_children". Confirmed by the pool's status page: saturated, a listen
/// queue, max children reached. The limit is the pool's pm.max_children when the agent read it from
/// the pool's file; otherwise the most children the pool ever ran, and the evidence says so.
/// </summary>
public sealed class FpmPoolExhaustedRule : IDiagnosisRule
{
    public const string RuleName = "fpm_pool_exhausted";

    public string Name => RuleName;

    public bool AppliesTo(Symptom symptom) =>
        symptom.Cause is Cause.FpmPoolExhausted or Cause.BacklogFull && symptom.Target.Kind != TargetKind.Group;

    public Verdict? Evaluate(Symptom symptom, HostState? owner)
    {
        var host = owner ?? symptom.Reporter;
        var target = symptom.Target;
        if (FindPool(host, target) is not { } timed)
        {
            if (symptom.Cause == Cause.BacklogFull)
            {
                return new Verdict(Cause.BacklogFull, 0.6, $"backlog full: {target} on {host.Hostname} accepts no more connections",
                    $"the backend behind {target} is saturated: add workers, raise its listen backlog (net.core.somaxconn), or find what keeps it busy",
                    Tiers.App, [new EvidenceItem(symptom.Time, host.Hostname, "php-fpm", $"{host.Hostname}: no PHP-FPM pool status is sampled for {target}")]);
            }

            return new Verdict(Cause.FpmPoolExhausted, 0.7, $"PHP-FPM pool exhausted: every child behind {target} on {host.Hostname} is busy",
                "raise pm.max_children of the pool (if memory allows: about free RAM / RSS per child), or find the slow requests (request_slowlog_timeout)",
                Tiers.App, [new EvidenceItem(symptom.Time, host.Hostname, "php-fpm", $"{host.Hostname}: no status of the pool at {target} is sampled (configure PhpFpm:Pools for pool evidence)")]);
        }

        var pool = timed.Value;
        var configured = pool.MaxChildren > 0;
        var limit = configured ? pool.MaxChildren : Math.Max(pool.MaxActiveProcesses, pool.TotalProcesses);
        var busy = pool.Saturated || pool.ListenQueue > 0 || pool.MaxChildrenReached > 0 || (pool.TotalProcesses > 0 && pool.ActiveProcesses >= pool.TotalProcesses);
        var name = string.IsNullOrEmpty(pool.Pool) ? target.Text : $"[{pool.Pool}]";
        var evidence = new List<EvidenceItem>
        {
            new(timed.At, host.Hostname, "php-fpm", string.Create(CultureInfo.InvariantCulture,
                $"{host.Hostname}: pool {name} (pm {pool.ProcessManager}): {pool.ActiveProcesses} active of {pool.TotalProcesses} children, {pool.IdleProcesses} idle, " +
                $"listen queue {pool.ListenQueue} (max {pool.MaxListenQueue}, backlog {pool.ListenQueueLen}), max children reached {pool.MaxChildrenReached} times, " +
                $"{pool.SlowRequests} slow requests{(pool.Saturated ? "; saturated" : "")}")),
            new(timed.At, host.Hostname, "php-fpm", configured
                ? string.Create(CultureInfo.InvariantCulture, $"{host.Hostname}: pool {name} is configured with pm.max_children = {limit}")
                : string.Create(CultureInfo.InvariantCulture,
                    $"{host.Hostname}: pm.max_children of the pool is unknown (its pool file was not found); the pool never ran more than {limit} children (max active processes {pool.MaxActiveProcesses}, total {pool.TotalProcesses}), so pm.max_children is {limit} or close to it")),
        };
        var raise = limit > 0 ? string.Create(CultureInfo.InvariantCulture, $"pm.max_children = {Math.Max(limit * 2, limit + 4)}") : "a higher pm.max_children";
        var fix = $"in pool {name} on {host.Hostname} set {raise} if memory allows (free RAM / RSS per child), " +
            $"and find what keeps children busy ({pool.SlowRequests} slow requests: request_slowlog_timeout); a static pool never counts max children reached";
        return new Verdict(Cause.FpmPoolExhausted, busy ? 0.95 : 0.7,
            string.Create(CultureInfo.InvariantCulture, $"PHP-FPM pool exhausted: pool {name} on {host.Hostname} has all {limit} children busy (pm.max_children reached)"),
            fix, Tiers.App, evidence);
    }

    public EvidenceItem? ConfirmRecovery(TargetAddress target, HostState? owner, DateTimeOffset now)
    {
        if (owner is not null && FindPool(owner, target) is { } timed)
        {
            var pool = timed.Value;
            // The child answering the status request counts itself active: a one-child pool with
            // one active child and no queue is idle.
            return pool.ListenQueue == 0 && (pool.IdleProcesses > 0 || pool.ActiveProcesses <= 1)
                ? new EvidenceItem(timed.At, owner.Hostname, "php-fpm", $"{owner.Hostname}: pool {pool.Pool} has {pool.IdleProcesses} idle children and no listen queue")
                : null;
        }

        return new EvidenceItem(now, owner?.Hostname ?? "collector", "collector", $"no new errors toward {target}");
    }

    /// <summary>The pool whose status endpoint is the target ("unix:/run/php/fpm.sock", "127.0.0.1:9000").</summary>
    public static Timed<FpmPool>? FindPool(HostState host, TargetAddress target) =>
        host.FpmPools.TryGetValue(target.Text, out var pool)
            ? pool
            : host.FpmPools.Values.FirstOrDefault(p => TargetAddress.Parse(p.Value.Endpoint).Text == target.Text);
}
