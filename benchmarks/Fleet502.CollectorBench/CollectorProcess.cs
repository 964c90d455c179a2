using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Fleet502.CollectorBench;

/// <summary>The real collector as a child process on two free loopback ports and a fresh LiteDB file.</summary>
internal sealed class CollectorProcess : IAsyncDisposable
{
    public const string AgentToken = "bench-agent-token-0123456789";
    public const string ApiToken = "bench-api-token-0123456789";

    private readonly Process _process;

    private CollectorProcess(Process process, Uri grpc, Uri http)
    {
        _process = process;
        Grpc = grpc;
        Http = http;
    }

    public Uri Grpc { get; }

    public Uri Http { get; }

    public int Pid => _process.Id;

    public static async Task<CollectorProcess> StartAsync(string executable, string dataDirectory, IEnumerable<string> extraArgs)
    {
        var grpcPort = FreePort();
        var httpPort = FreePort();
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in (string[])[
            $"--Listen:Grpc=127.0.0.1:{grpcPort}", $"--Listen:Http=127.0.0.1:{httpPort}",
            $"--Storage:Path={Path.Combine(dataDirectory, "bench.db")}",
            $"--Auth:AgentTokens:0={AgentToken}", $"--Auth:ApiTokens:0={ApiToken}",
            "--Logging:LogLevel:Default=Warning"])
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var arg in extraArgs)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in UnitEnvironment())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine("[collector] " + e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine("[collector] " + e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var collector = new CollectorProcess(process, new Uri($"http://127.0.0.1:{grpcPort}"), new Uri($"http://127.0.0.1:{httpPort}"));
        using var http = new HttpClient { BaseAddress = collector.Http };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await http.GetAsync("/healthz")).IsSuccessStatusCode)
                {
                    return collector;
                }
            }
            catch (HttpRequestException) when (deadline.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited)
            {
            }

            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new InvalidOperationException($"the collector did not come up (exit {(process.HasExited ? process.ExitCode : -1)})");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>VmRSS and VmHWM of the collector, in bytes.</summary>
    public (long Rss, long Peak) Memory()
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kb(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kb(line);
            }
        }

        return (rss, peak);
    }

    /// <summary>User + system CPU seconds of the collector so far (/proc/pid/stat, clock ticks of 10 ms).</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(); // SIGKILL: the store is journaled; the bench does not need a clean stop
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static long Kb(string line) =>
        long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture) * 1024;

    /// <summary>
    /// The runtime settings the packaged systemd unit gives the collector (its DOTNET_* Environment=
    /// lines), so the bench runs it as it is deployed; empty, with a warning, outside a checkout.
    /// </summary>
    private static IEnumerable<(string Name, string Value)> UnitEnvironment()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var unit = Path.Combine(dir.FullName, "packaging", "systemd", "fleet502-collector.service");
            if (File.Exists(unit))
            {
                return File.ReadLines(unit)
                    .Where(l => l.StartsWith("Environment=DOTNET_", StringComparison.Ordinal))
                    .Select(l => l["Environment=".Length..].Split('=', 2))
                    .Select(p => (p[0], p[1]))
                    .ToList();
            }
        }

        Console.Error.WriteLine("packaging/systemd/fleet502-collector.service not found: the collector runs without the unit's DOTNET_* settings");
        return [];
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
