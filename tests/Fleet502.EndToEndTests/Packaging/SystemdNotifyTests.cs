using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Fleet502.EndToEndTests.Harness;

namespace Fleet502.EndToEndTests.Packaging;

/// <summary>
/// The <c>Type=notify</c> handshake of fleet502-agent.service, without systemd as PID 1.
/// Microsoft.Extensions.Hosting.Systemd only turns on when the parent process's comm is
/// <c>systemd</c> (or the program is PID 1 with NOTIFY_SOCKET), so these tests emulate systemd:
/// a tiny python3 launcher renames itself to <c>systemd</c> with prctl(PR_SET_NAME), forks and
/// execs the built agent with NOTIFY_SOCKET pointing at a datagram socket the test owns.
/// </summary>
public sealed class SystemdNotifyTests
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    // argv[1..] is the program to run. Prints "child-pid N" and, when the child ends, "child-exit N"
    // (128+signal when it died of a signal), then exits with the same code.
    private const string Launcher = """
        import ctypes, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(15, b"systemd", 0, 0, 0) != 0:  # PR_SET_NAME: /proc/<pid>/comm becomes "systemd"
            print("prctl failed", ctypes.get_errno(), flush=True)
            sys.exit(97)
        pid = os.fork()
        if pid == 0:
            try:
                os.execvp(sys.argv[1], sys.argv[1:])
            finally:
                os._exit(127)
        print("child-pid", pid, flush=True)
        _, status = os.waitpid(pid, 0)
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
        print("child-exit", code, flush=True)
        sys.exit(code)
        """;

    [Fact]
    public async Task Agent_sends_READY_and_STOPPING_to_a_parent_named_systemd()
    {
        using var dir = new TempDir("pkg-notify");
        using var notify = new NotifySocket(dir.File("notify.sock"));
        var config = await WriteAgentConfigAsync(dir);
        var launcher = dir.File("systemd-launcher.py");
        await File.WriteAllTextAsync(launcher, Launcher);

        using var agent = new ChildProcess(
            "agent under emulated systemd",
            "python3",
            [launcher, "dotnet", RepoPaths.AgentDll, "--config", config],
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Path });

        var pidLine = await agent.WaitForLineAsync(l => l.StartsWith("child-pid ", StringComparison.Ordinal), ReadyTimeout);
        var agentPid = int.Parse(pidLine["child-pid ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("systemd", (await File.ReadAllTextAsync($"/proc/{agent.Pid}/comm")).Trim());

        var started = Stopwatch.StartNew();
        await notify.WaitForAsync("READY=1", ReadyTimeout, () => agent.Output);
        Console.WriteLine($"[packaging] exec -> READY=1: {started.ElapsedMilliseconds} ms");
        Assert.DoesNotContain("STOPPING=1", notify.Messages);

        var stopping = Stopwatch.StartNew();
        await SendSigtermAsync(agentPid);
        await notify.WaitForAsync("STOPPING=1", StopTimeout, () => agent.Output);
        var exitLine = await agent.WaitForLineAsync(l => l.StartsWith("child-exit ", StringComparison.Ordinal), StopTimeout);
        Console.WriteLine($"[packaging] SIGTERM -> exit: {stopping.ElapsedMilliseconds} ms");
        Assert.True(exitLine == "child-exit 0", $"the agent should exit 0 after SIGTERM, got '{exitLine}'\n{agent.Output}");

        // READY before STOPPING, each once.
        var messages = notify.Messages.ToList();
        Assert.Equal(1, messages.Count(m => m.Contains("READY=1", StringComparison.Ordinal)));
        Assert.Equal(1, messages.Count(m => m.Contains("STOPPING=1", StringComparison.Ordinal)));
        Assert.True(
            messages.FindIndex(m => m.Contains("READY=1", StringComparison.Ordinal)) < messages.FindIndex(m => m.Contains("STOPPING=1", StringComparison.Ordinal)),
            "READY=1 must come before STOPPING=1: " + string.Join(" | ", messages));
    }

    [Fact]
    public async Task Agent_sends_nothing_to_NOTIFY_SOCKET_when_its_parent_is_not_systemd()
    {
        // The control case: this is why the test above needs a parent named systemd.
        using var dir = new TempDir("pkg-notify-off");
        using var notify = new NotifySocket(dir.File("notify.sock"));
        var config = await WriteAgentConfigAsync(dir);

        using var agent = new ChildProcess(
            "agent without systemd",
            "dotnet",
            [RepoPaths.AgentDll, "--config", config],
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Path });

        // The console lifetime (used when not under systemd) announces the start.
        await agent.WaitForLineAsync(l => l.Contains("Application started", StringComparison.Ordinal), ReadyTimeout);
        await Task.Delay(500);
        Assert.True(notify.Messages.IsEmpty, "no notification expected, got: " + string.Join(" | ", notify.Messages));
    }

    private static async Task<string> WriteAgentConfigAsync(TempDir dir)
    {
        var state = dir.File("state");
        Directory.CreateDirectory(state);
        var errorLog = dir.File("error.log");
        await File.WriteAllTextAsync(errorLog, "");
        // The collector URL points at a closed loopback port: the agent starts anyway and retries.
        var config = $$"""
            {
              "AgentId": "packaging-test",
              "StateDirectory": "{{state}}",
              "Collector": { "Url": "http://127.0.0.1:{{Ports.Free()}}", "Token": "packaging-test-token-0123" },
              "Nginx": { "ErrorLogs": ["{{errorLog}}"] }
            }
            """;
        var path = dir.File("agent.json");
        await File.WriteAllTextAsync(path, config);
        return path;
    }

    private static async Task SendSigtermAsync(int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>An AF_UNIX datagram socket standing in for systemd's notification socket.</summary>
    private sealed class NotifySocket : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly SemaphoreSlim _received = new(0);

        public NotifySocket(string path)
        {
            Path = path;
            _socket.Bind(new UnixDomainSocketEndPoint(path));
            _loop = Task.Run(ReceiveAsync);
        }

        public string Path { get; }

        public ConcurrentQueue<string> Messages { get; } = new();

        public async Task WaitForAsync(string message, TimeSpan timeout, Func<string> diagnostics)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (!Messages.Any(m => m.Contains(message, StringComparison.Ordinal)))
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    throw new TimeoutException($"no {message} on NOTIFY_SOCKET within {timeout}; got: [{string.Join(" | ", Messages)}]\n{diagnostics()}");
                }

                await _received.WaitAsync(left);
            }
        }

        private async Task ReceiveAsync()
        {
            var buffer = new byte[4096];
            while (!_stop.IsCancellationRequested)
            {
                int n;
                try
                {
                    n = await _socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                Messages.Enqueue(Encoding.UTF8.GetString(buffer, 0, n));
                _received.Release();
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _socket.Dispose();
            try
            {
                _loop.Wait(TimeSpan.FromSeconds(2));
            }
            catch (AggregateException)
            {
            }

            _stop.Dispose();
            _received.Dispose();
        }
    }
}
