using System.Net;
using System.Net.Sockets;
using Fleet502.Agent.Sources.Listeners;
using Fleet502.Agent.Sources.Processes;
using Fleet502.Protos.V1;

namespace Fleet502.Tests.Agent.HostState;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ListenerSnapshotBuilderTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<Socket> _sockets = [];
    private readonly List<System.Diagnostics.Process> _processes = [];
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));

    [Fact]
    public void Real_tcp4_tcp6_and_unix_listeners_map_to_this_process()
    {
        var tcp4 = Listen(new IPEndPoint(IPAddress.Loopback, 0));
        var tcp6 = Listen(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        var path = _dir.Combine("app.sock");
        Listen(new UnixDomainSocketEndPoint(path));
        File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);

        var snapshot = Builder().Build();

        var comm = File.ReadAllText("/proc/self/comm").Trim();
        var v4 = Assert.Single(snapshot.Listeners, l => l.Transport == Transport.Tcp4 && l.Port == tcp4 && l.Address == "127.0.0.1");
        var v6 = Assert.Single(snapshot.Listeners, l => l.Transport == Transport.Tcp6 && l.Port == tcp6 && l.Address == "::1");
        var unix = Assert.Single(snapshot.Listeners, l => l.Transport == Transport.Unix && l.UnixPath == path);
        foreach (var l in new[] { v4, v6, unix })
        {
            Assert.Equal(Environment.ProcessId, l.Pid);
            Assert.Equal(comm, l.Process);
            Assert.NotEmpty(l.CommandLine);
            Assert.NotEmpty(l.Cgroup);
        }

        Assert.True(unix.UnixPathState.Exists);
        Assert.True(unix.UnixPathState.IsSocket);
        Assert.True(unix.UnixPathState.HasListener);
        Assert.Equal("", unix.UnixPathState.Problem);
    }

    [Fact]
    public void A_second_pass_reuses_known_owners_without_rescanning_proc()
    {
        Listen(new IPEndPoint(IPAddress.Loopback, 0));
        // Other test processes open listeners too (a new socket rightly triggers a rescan):
        // judge only passes between which the host's set of listening sockets stayed the same.
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var owners = new SocketOwnerIndex(TimeProvider.System);
            var builder = Builder(owners);
            var before = ListeningInodes();
            builder.Build();
            var scans = owners.FullScans;
            var second = builder.Build();
            if (!ListeningInodes().SetEquals(before))
            {
                continue;
            }

            Assert.Equal(scans, owners.FullScans);
            Assert.Contains(second.Listeners, l => l.Pid == Environment.ProcessId);
            return;
        }

        Assert.Fail("the host's listening sockets never stayed still for two passes");
    }

    [Fact]
    public async Task A_new_process_listener_is_found_without_a_full_scan_and_its_restart_is_seen()
    {
        // Full scans at most hourly: the new listeners below must be found without one.
        var owners = new SocketOwnerIndex(TimeProvider.System, minFullScanInterval: TimeSpan.FromHours(1));
        var builder = Builder(owners);
        builder.Build();
        Assert.Equal(1, owners.FullScans);

        // A backend starts after the agent's first pass, then is restarted on the same port.
        var (first, port) = await StartPythonListenerAsync(0);
        var before = Assert.Single(builder.Build().Listeners, l => l.Transport == Transport.Tcp4 && l.Port == port);
        Assert.Equal(first.Id, before.Pid);
        Assert.Equal("python3", before.Process);
        Assert.True(owners.NewProcessScans >= 1);

        first.Kill();
        await first.WaitForExitAsync(_timeout.Token);
        var (second, _) = await StartPythonListenerAsync(port);
        var after = Assert.Single(builder.Build().Listeners, l => l.Transport == Transport.Tcp4 && l.Port == port);
        Assert.Equal(second.Id, after.Pid);

        Assert.Equal(1, owners.FullScans);
    }

    [Fact]
    public void A_chmod_of_a_listening_socket_is_seen_by_the_next_pass()
    {
        var path = _dir.Combine("mode.sock");
        Listen(new UnixDomainSocketEndPoint(path));
        File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);
        var builder = Builder();
        var open = Assert.Single(builder.Build().Listeners, l => l.UnixPath == path);
        Assert.True(open.UnixPathState.ClientCanConnect);

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var closed = Assert.Single(builder.Build().Listeners, l => l.UnixPath == path);

        Assert.Equal(0b110_000_000u, closed.UnixPathState.Mode);
        Assert.False(closed.UnixPathState.ClientCanConnect);
        Assert.Contains("EACCES", closed.UnixPathState.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_untouched_socket_path_is_not_stat_ed_again_but_a_chmod_and_a_removal_are_seen()
    {
        var path = _dir.Combine("watched.sock");
        Listen(new UnixDomainSocketEndPoint(path));
        File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);
        var inspector = new UnixSocketInspector(UnixAccount.Find("nobody"));

        Assert.True(Pass(inspector, path).ClientCanConnect);
        var stats = inspector.StatCalls;
        Assert.True(Pass(inspector, path).ClientCanConnect);
        Assert.True(Pass(inspector, path).ClientCanConnect);
        Assert.Equal(stats, inspector.StatCalls);

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var closed = Pass(inspector, path);
        Assert.Equal(0b110_000_000u, closed.Mode);
        Assert.False(closed.ClientCanConnect);

        File.Delete(path);
        var gone = Pass(inspector, path);
        Assert.False(gone.Exists);
        Assert.Contains("ENOENT", gone.Problem, StringComparison.Ordinal);
    }

    private static UnixSocketPath Pass(UnixSocketInspector inspector, string path)
    {
        inspector.BeginPass();
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        var state = inspector.Inspect(path, bytes, hasListener: true, out _);
        inspector.EndPass();
        return state;
    }

    private async Task<(System.Diagnostics.Process Process, int Port)> StartPythonListenerAsync(int port)
    {
        var script = "import socket,sys,time\n"
            + "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            + $"s.bind(('127.0.0.1', {port})); s.listen()\n"
            + "print(s.getsockname()[1], flush=True)\n"
            + "sys.stdin.read()\n";
        var info = new System.Diagnostics.ProcessStartInfo("python3", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardInput = true };
        var process = System.Diagnostics.Process.Start(info)!;
        _processes.Add(process);
        var line = await process.StandardOutput.ReadLineAsync(_timeout.Token);
        return (process, int.Parse(line!, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static HashSet<ulong> ListeningInodes() => new ProcNetReader().ReadAll().Select(l => l.SocketInode).ToHashSet();

    [Fact]
    public void A_removed_socket_file_whose_listener_lives_is_reported_as_enoent()
    {
        var path = _dir.Combine("gone.sock");
        Listen(new UnixDomainSocketEndPoint(path));
        File.Delete(path);

        var unix = Assert.Single(Builder().Build().Listeners, l => l.UnixPath == path);

        Assert.Equal(Environment.ProcessId, unix.Pid);
        Assert.False(unix.UnixPathState.Exists);
        Assert.True(unix.UnixPathState.HasListener);
        Assert.Contains("ENOENT", unix.UnixPathState.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_socket_the_nginx_user_may_not_write_is_reported_as_eacces()
    {
        var path = _dir.Combine("private.sock");
        Listen(new UnixDomainSocketEndPoint(path));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var unix = Assert.Single(Builder().Build().Listeners, l => l.UnixPath == path);

        Assert.True(unix.UnixPathState.Exists);
        Assert.Equal(0b110_000_000u, unix.UnixPathState.Mode);
        Assert.Equal("nobody", unix.UnixPathState.ClientUser);
        Assert.False(unix.UnixPathState.ClientCanConnect);
        Assert.Contains("EACCES", unix.UnixPathState.Problem, StringComparison.Ordinal);
        Assert.Contains("no write permission", unix.UnixPathState.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_parent_directory_without_search_permission_is_reported_as_eacces()
    {
        var sub = _dir.Combine("locked");
        Directory.CreateDirectory(sub);
        var path = Path.Combine(sub, "app.sock");
        Listen(new UnixDomainSocketEndPoint(path));
        File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);
        File.SetUnixFileMode(sub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var unix = Assert.Single(Builder().Build().Listeners, l => l.UnixPath == path);

        Assert.False(unix.UnixPathState.ClientCanConnect);
        Assert.Contains($"{sub}: no search permission for nobody", unix.UnixPathState.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Watched_paths_report_a_stale_socket_file_and_a_missing_one()
    {
        var stale = _dir.Combine("stale.sock");
        var missing = _dir.Combine("never.sock");
        // A process that exits without unlinking its socket leaves the file behind (.NET unlinks on
        // Dispose, so a real python3 process plays the crashed backend).
        using (var crashed = System.Diagnostics.Process.Start("python3", ["-c", $"import socket; s = socket.socket(socket.AF_UNIX); s.bind('{stale}'); s.listen()"]))
        {
            crashed.WaitForExit();
        }

        var snapshot = Builder(watched: [stale, missing]).Build();

        var s1 = Assert.Single(snapshot.UnixPaths, p => p.Path == stale);
        Assert.True(s1.Exists);
        Assert.True(s1.IsSocket);
        Assert.False(s1.HasListener);
        Assert.Contains("ECONNREFUSED", s1.Problem, StringComparison.Ordinal);
        var s2 = Assert.Single(snapshot.UnixPaths, p => p.Path == missing);
        Assert.False(s2.Exists);
        Assert.Contains("ENOENT", s2.Problem, StringComparison.Ordinal);
    }

    private ListenerSnapshotBuilder Builder(SocketOwnerIndex? owners = null, IReadOnlyCollection<string>? watched = null) =>
        new(new ProcNetReader(), owners ?? new SocketOwnerIndex(TimeProvider.System), new ProcessInfoReader(),
            new UnixSocketInspector(UnixAccount.Find("nobody")), watchedUnixPaths: watched);

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

        foreach (var p in _processes)
        {
            if (!p.HasExited)
            {
                p.Kill();
            }

            p.Dispose();
        }

        _timeout.Dispose();
        _dir.Dispose();
    }
}
