using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Fleet502.Agent.Configuration;
using Fleet502.Agent.Shipping;
using Fleet502.Agent.Sources.Listeners;
using Fleet502.Agent.Sources.Processes;
using Fleet502.Protos.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet502.Tests.Agent.HostState;

/// <summary>
/// The listener pass run with the credentials of <c>nobody</c> (a thread of this root test process
/// drops to uid/gid 65534 with raw setresuid/setresgid syscalls, which change only that thread, and
/// loses every capability with it): the kernel's real permission checks, no mock.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class UnprivilegedSamplingTests : IDisposable
{
    private const uint Nobody = 65534;
    private readonly TempDirectory _dir = new();
    private readonly List<Socket> _sockets = [];
    private System.Diagnostics.Process? _backend;

    [Fact]
    public async Task As_nobody_listeners_are_still_reported_without_owner_and_the_missing_capability_is_logged_once()
    {
        Assert.True(Environment.UserName == "root", "this test drops from root to nobody (CI runs as root)");
        // A root backend (another process: a thread may always read its own process's fds).
        var path = _dir.Combine("app.sock");
        var script = "import socket,sys,os\n"
            + "t = socket.socket(); t.bind(('127.0.0.1', 0)); t.listen()\n"
            + $"u = socket.socket(socket.AF_UNIX); u.bind('{path}'); os.chmod('{path}', 0o666); u.listen()\n"
            + "print(t.getsockname()[1], flush=True)\n"
            + "sys.stdin.read()\n";
        var backend = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("python3", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardInput = true })!;
        _backend = backend;
        var port = int.Parse((await backend.StandardOutput.ReadLineAsync())!, System.Globalization.CultureInfo.InvariantCulture);
        var logger = new ListLogger<ListenerSampler>();
        var builder = new ListenerSnapshotBuilder(new ProcNetReader(), new SocketOwnerIndex(TimeProvider.System, retryUnresolved: TimeSpan.Zero),
            new ProcessInfoReader(), new UnixSocketInspector(UnixAccount.Find("nobody")));
        var sampler = new ListenerSampler(new EventQueue(), Options.Create(new AgentOptions()), logger, TimeProvider.System, builder);

        var (first, second) = await AsNobody(() => (sampler.Sample(TimeSpan.Zero), sampler.Sample(TimeSpan.Zero)));

        // The rest works: the backend's sockets are listed, the unix path checked, only the owner is unknown.
        var snapshot = first!.ListenerSnapshot;
        var tcp = Assert.Single(snapshot.Listeners, l => l.Transport == Transport.Tcp4 && l.Port == port);
        Assert.Equal(0, tcp.Pid);
        var unix = Assert.Single(snapshot.Listeners, l => l.UnixPath == path);
        Assert.Equal(0, unix.Pid);
        Assert.True(unix.UnixPathState.Exists);
        Assert.True(unix.UnixPathState.ClientCanConnect);
        var missing = Assert.Single(snapshot.MissingCapabilities);
        Assert.StartsWith("CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH (or root): /proc/<pid>/fd of ", missing, StringComparison.Ordinal);
        Assert.NotNull(second);
        Assert.Single(second.ListenerSnapshot.MissingCapabilities);

        // Said once over both passes, as a warning naming the capability.
        var warning = Assert.Single(logger.Messages, m => m.Contains("CAP_SYS_PTRACE", StringComparison.Ordinal));
        Assert.Contains("Host state: ", warning, StringComparison.Ordinal);
    }

    // Only the calling thread changes credentials: glibc's setresuid() would change every thread.
    private static Task<T> AsNobody<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                var (setgroups, setresgid, setresuid) = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? (159L, 149L, 147L) : (116L, 119L, 117L);
                if (Syscall(setgroups, 0, 0, 0) != 0 || Syscall(setresgid, Nobody, Nobody, Nobody) != 0 || Syscall(setresuid, Nobody, Nobody, Nobody) != 0)
                {
                    throw new InvalidOperationException($"could not drop to nobody: errno {Marshal.GetLastPInvokeError()}");
                }

                done.SetResult(work());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
        thread.Start();
        return done.Task;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long a, long b, long c);

    private int Listen(EndPoint endpoint)
    {
        var protocol = endpoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp;
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, protocol);
        _sockets.Add(socket);
        socket.Bind(endpoint);
        socket.Listen();
        return socket.LocalEndPoint is IPEndPoint ip ? ip.Port : 0;
    }

    public void Dispose()
    {
        foreach (var s in _sockets)
        {
            s.Dispose();
        }

        if (_backend is { HasExited: false })
        {
            _backend.Kill();
        }

        _backend?.Dispose();

        _dir.Dispose();
    }

    private sealed class ListLogger<T> : ILogger<T>
    {
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get
            {
                lock (_messages)
                {
                    return _messages.ToList();
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_messages)
            {
                _messages.Add(formatter(state, exception));
            }
        }
    }
}
