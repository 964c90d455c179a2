using System.Diagnostics;
using System.Runtime.InteropServices;
using Fleet502.Agent.Configuration;
using Fleet502.Agent.Shipping;
using Fleet502.Agent.Sources.Listeners;
using Fleet502.Agent.Sources.Processes;
using Fleet502.Agent.Sources.Supervisors;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet502.Bench;

/// <summary>
/// Host-state sampling cost on a busy host: starts <c>processes</c> sleeping children
/// (<c>/bin/sleep</c>) and <c>sockets</c> listening sockets (TCP v4/v6 and unix) held by
/// <c>holders</c> child processes of this binary, then runs the agent's listener pass
/// (<see cref="ListenerSampler.Sample"/>: /proc/net tables → socket owners → process info →
/// unix path checks → change keys) and reports CPU, wall time and allocations per pass.
/// Everything started is stopped at the end (and on Ctrl-C).
/// </summary>
internal sealed class SampleBench(int processes, int sockets, int holders, double unixShare, int passes, TextWriter output)
{
    private readonly List<Process> _sleepers = [];
    private readonly List<Process> _holders = [];
    private string? _socketDirectory;

    public int Run()
    {
        using var cancel = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupted);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupted);
        try
        {
            output.WriteLine($"fleet502-bench sample --processes {processes} --sockets {sockets} --holders {holders} --passes {passes}");
            output.WriteLine(Machine.Describe());
            var setup = Stopwatch.StartNew();
            StartSleepers();
            var (tcp4, tcp6, unix) = StartHolders();
            output.WriteLine($"started {_sleepers.Count} sleeping processes and {_holders.Count} holders with {tcp4} tcp4 + {tcp6} tcp6 + {unix} unix listeners in {setup.Elapsed.TotalSeconds:F1} s");
            output.WriteLine($"host now: {Directory.EnumerateDirectories("/proc").Count(d => char.IsAsciiDigit(Path.GetFileName(d)[0]))} processes");
            Measure();
            return 0;
        }
        finally
        {
            Cleanup();
        }
    }

    // Ctrl-C / SIGTERM: stop what was started, then exit as the signal would (130 / 143). Not on the
    // signal thread itself: it also delivers SIGCHLD, which waiting for the killed children needs.
    private void Interrupted(PosixSignalContext context)
    {
        context.Cancel = true;
        var code = context.Signal == PosixSignal.SIGINT ? 130 : 143;
        new Thread(() =>
        {
            Cleanup();
            output.Flush();
            Environment.Exit(code);
        }).Start();
    }

    private void Measure()
    {
        var owners = new SocketOwnerIndex(TimeProvider.System, retryUnresolved: TimeSpan.FromSeconds(30));
        var client = UnixAccount.NginxUsers.Select(u => UnixAccount.Find(u)).FirstOrDefault(a => a is not null);
        var builder = new ListenerSnapshotBuilder(new ProcNetReader(), owners, new ProcessInfoReader(), new UnixSocketInspector(client), new ServiceDirectory());
        var options = new AgentOptions();
        var sampler = new ListenerSampler(new EventQueue(), Options.Create(options), NullLogger<ListenerSampler>.Instance, TimeProvider.System, builder);
        var full = options.Listeners.FullSnapshotInterval;

        // Listener count as the agent sees it (its own snapshot), for the record.
        var listeners = builder.Build().Listeners;
        var cold = new SocketOwnerIndex(TimeProvider.System);
        var coldBuilder = new ListenerSnapshotBuilder(new ProcNetReader(), cold, new ProcessInfoReader(), new UnixSocketInspector(client), new ServiceDirectory());
        var coldStart = ProcessStats.Take();
        coldBuilder.Build();
        var coldCost = ProcessStats.Take().Since(coldStart);
        output.WriteLine($"listeners on the host: {listeners.Count:N0} ({listeners.Count(l => l.Pid > 0):N0} with an owner); full fd scans in the cold pass: {cold.FullScans}");
        output.WriteLine($"cold pass (first ever: full /proc/<pid>/fd scan): CPU {coldCost.Cpu.TotalMilliseconds:F1} ms, wall {coldCost.Wall.TotalMilliseconds:F1} ms, allocated {coldCost.Allocated / 1024.0:F0} KiB");
        output.WriteLine();

        // Steady state: the agent's pass every SampleInterval with warm caches.
        sampler.Sample(full);
        var results = new List<ProcessStats.Delta>(passes);
        var sent = 0;
        var scanned = new List<bool>(passes);
        for (var i = 0; i < passes; i++)
        {
            var scans = owners.FullScans;
            var start = ProcessStats.Take();
            if (sampler.Sample(full) is not null)
            {
                sent++;
            }

            results.Add(ProcessStats.Take().Since(start));
            scanned.Add(owners.FullScans != scans);
        }

        output.WriteLine($"steady passes: {passes} (events sent: {sent}; full /proc scans after warm-up: {owners.FullScans - 1}; new-process scans: {owners.NewProcessScans})");
        output.WriteLine();
        output.WriteLine("| per pass | CPU ms | wall ms | allocated KiB |");
        output.WriteLine("|----------|-------:|--------:|--------------:|");
        Row("median", results, 0.5);
        Row("p90", results, 0.9);
        Row("max", results, 1.0);
        output.WriteLine($"| mean | {results.Average(r => r.Cpu.TotalMilliseconds):F1} | {results.Average(r => r.Wall.TotalMilliseconds):F1} | {results.Average(r => r.Allocated) / 1024:F0} |");
        var median = Percentile(results.Select(r => r.Cpu.TotalMilliseconds), 0.5);
        var withScan = results.Where((_, i) => scanned[i]).Select(r => r.Cpu.TotalMilliseconds).ToList();
        if (withScan.Count > 0)
        {
            output.WriteLine($"passes with a full fd scan (a listener of an older process appeared): {withScan.Count}, CPU {string.Join(" / ", withScan.Select(c => c.ToString("F0")))} ms");
        }

        output.WriteLine();
        output.WriteLine($"CPU per pass: median {median:F1} ms (target < 20) {(median < 20 ? "MET" : "MISSED")}; peak RSS {ProcessStats.PeakRss() / 1048576.0:F1} MiB");
        Breakdown(client);
    }

    /// <summary>
    /// Where a warm pass spends its time: the steps of <see cref="ListenerSnapshotBuilder.Build"/>
    /// run one by one through the same public APIs (median of a few rounds each).
    /// </summary>
    private void Breakdown(UnixAccount? client)
    {
        const int Rounds = 5;
        var reader = new ProcNetReader();
        var owners = new SocketOwnerIndex(TimeProvider.System, retryUnresolved: TimeSpan.FromSeconds(30));
        var processes = new ProcessInfoReader();
        var inspector = new UnixSocketInspector(client);
        var rows = new List<RawListener>();
        reader.Read(rows);
        var inodes = rows.Select(r => r.Inode).ToArray();
        owners.Update(inodes);
        var withOwner = rows.Select(r => owners.TryGetOwner(r.Inode, out var pid) ? pid : 0).Where(pid => pid > 0).ToList();
        var distinct = withOwner.Distinct().Count();
        var unixRows = rows.Where(r => r.Transport == Protos.V1.Transport.Unix).ToList();
        var full = new ListenerSnapshotBuilder(reader, owners, processes, inspector, new ServiceDirectory());
        full.Sample();

        output.WriteLine();
        output.WriteLine("Breakdown of a warm pass (same APIs, one step at a time; median of 5):");
        output.WriteLine();
        output.WriteLine("| step | calls | CPU ms | allocated KiB |");
        output.WriteLine("|------|------:|-------:|--------------:|");
        Step("ProcNetReader.Read (/proc/net/tcp, tcp6, unix)", 3, () => reader.Read(rows));
        Step("SocketOwnerIndex.Update (known owners: one stat per owner pid)", inodes.Length, () => owners.Update(inodes));
        Step($"ProcessInfoReader.Read per listener, one pass ({distinct} distinct pids)", withOwner.Count, () =>
        {
            processes.BeginPass();
            withOwner.ForEach(pid => processes.Read(pid));
            processes.EndPass();
        });
        var pathBytes = new byte[ProcFs.MaxPath];
        Step("UnixSocketInspector.Inspect per unix listener, one pass", unixRows.Count, () =>
        {
            inspector.BeginPass();
            foreach (var row in unixRows)
            {
                reader.UnixPathBytes(row, pathBytes);
                inspector.Inspect(reader.UnixPath(row), pathBytes, hasListener: true, out _);
            }

            inspector.EndPass();
        });
        Step("ListenerSnapshotBuilder.Sample (the whole pass)", 1, full.Sample);
        Step("ListenerSnapshotBuilder.ToSnapshot (only when sent)", 1, () => full.ToSnapshot());

        void Step(string name, int calls, Action action)
        {
            var cpu = new List<double>(Rounds);
            var allocated = new List<double>(Rounds);
            for (var i = 0; i < Rounds; i++)
            {
                var start = ProcessStats.Take();
                action();
                var d = ProcessStats.Take().Since(start);
                cpu.Add(d.Cpu.TotalMilliseconds);
                allocated.Add(d.Allocated / 1024.0);
            }

            output.WriteLine($"| {name} | {calls:N0} | {Percentile(cpu, 0.5):F2} | {Percentile(allocated, 0.5):F0} |");
        }
    }

    private void Row(string name, List<ProcessStats.Delta> results, double p) =>
        output.WriteLine($"| {name} | {Percentile(results.Select(r => r.Cpu.TotalMilliseconds), p):F1} | {Percentile(results.Select(r => r.Wall.TotalMilliseconds), p):F1} | {Percentile(results.Select(r => r.Allocated / 1024.0), p):F0} |");

    private static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private void StartSleepers()
    {
        for (var i = 0; i < processes; i++)
        {
            var p = Process.Start(new ProcessStartInfo("/bin/sleep", "600") { UseShellExecute = false })
                ?? throw new InvalidOperationException("could not start /bin/sleep");
            lock (_sleepers)
            {
                _sleepers.Add(p);
            }
        }
    }

    private (int Tcp4, int Tcp6, int Unix) StartHolders()
    {
        if (sockets <= 0 || holders <= 0)
        {
            return (0, 0, 0);
        }

        _socketDirectory = Directory.CreateTempSubdirectory("fleet502-bench-sockets-").FullName;
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this binary to start socket holders");
        var unixTotal = (int)Math.Round(sockets * unixShare);
        var tcpTotal = sockets - unixTotal;
        var tcp6Total = tcpTotal / 5;
        var tcp4Total = tcpTotal - tcp6Total;
        int tcp4 = 0, tcp6 = 0, unix = 0;
        for (var h = 0; h < holders; h++)
        {
            int Share(int total) => total / holders + (h < total % holders ? 1 : 0);
            var info = new ProcessStartInfo(self)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
            };
            foreach (var arg in new[] { "hold", "--tcp4", Share(tcp4Total).ToString(), "--tcp6", Share(tcp6Total).ToString(), "--unix", Share(unixTotal).ToString(), "--dir", Path.Combine(_socketDirectory, $"h{h}") })
            {
                info.ArgumentList.Add(arg);
            }

            var holder = Process.Start(info) ?? throw new InvalidOperationException("could not start a socket holder");
            lock (_sleepers)
            {
                _holders.Add(holder);
            }

            // "ready <tcp4> <tcp6> <unix>" once its sockets listen.
            var ready = holder.StandardOutput.ReadLine()?.Split(' ');
            if (ready is not ["ready", var a, var b, var c])
            {
                throw new InvalidOperationException($"socket holder {h} failed: {string.Join(' ', ready ?? ["(no output)"])}");
            }

            tcp4 += int.Parse(a, System.Globalization.CultureInfo.InvariantCulture);
            tcp6 += int.Parse(b, System.Globalization.CultureInfo.InvariantCulture);
            unix += int.Parse(c, System.Globalization.CultureInfo.InvariantCulture);
        }

        return (tcp4, tcp6, unix);
    }

    private void Cleanup()
    {
        lock (_sleepers)
        {
            foreach (var p in _sleepers)
            {
                Stop(p, kill: true);
            }

            _sleepers.Clear();
            foreach (var h in _holders)
            {
                try
                {
                    // EOF on stdin: the holder closes its sockets and exits.
                    h.StandardInput.Close();
                }
                catch (IOException)
                {
                }

                if (!h.WaitForExit(TimeSpan.FromSeconds(5)))
                {
                    Stop(h, kill: true);
                }

                h.Dispose();
            }

            _holders.Clear();
            if (_socketDirectory is not null && Directory.Exists(_socketDirectory))
            {
                Directory.Delete(_socketDirectory, recursive: true);
            }
        }
    }

    private static void Stop(Process p, bool kill)
    {
        try
        {
            if (kill && !p.HasExited)
            {
                p.Kill();
            }

            p.WaitForExit(TimeSpan.FromSeconds(5));
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            p.Dispose();
        }
    }
}
