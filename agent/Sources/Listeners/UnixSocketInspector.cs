using System.Text;
using Fleet502.Agent.Sources.Processes;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.Listeners;

/// <summary>
/// Checks a unix socket path the way nginx's connect() will meet it: ENOENT when the file is gone,
/// ECONNREFUSED when the file exists but nothing listens, EACCES when the worker user lacks search
/// permission on a parent directory or write permission on the socket.
/// Within a pass (<see cref="BeginPass"/>) each directory is checked once; a path whose stat,
/// listener and directory verdict are unchanged since the last pass gets its previous (immutable)
/// result back, so a steady host costs one statx per socket path.
/// </summary>
public sealed class UnixSocketInspector(UnixAccount? client, string etc = "/etc")
{
    private const int Enoent = 2;
    private const int Eacces = 13;

    // Even when inotify says nothing changed, a path is stat'ed at least every this many passes.
    private const int RefreshPasses = 16;
    private readonly DirectoryChangeWatcher _watcher = new();
    private readonly Dictionary<uint, string> _users = [];
    private readonly Dictionary<uint, string> _groups = [];
    private readonly Dictionary<string, PathEntry> _paths = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _directories = new(StringComparer.Ordinal);
    private int _pass = 1;

    public UnixAccount? Client => client;

    /// <summary>statx calls on socket paths so far (for tests and the benchmark).</summary>
    public long StatCalls { get; private set; }

    /// <summary>Starts a pass: directory verdicts are re-checked once from now on.</summary>
    public void BeginPass()
    {
        _pass++;
        _directories.Clear();
        _watcher.Poll();
    }

    /// <summary>Forgets paths the pass did not look at.</summary>
    public void EndPass()
    {
        foreach (var (path, entry) in _paths)
        {
            if (entry.Pass != _pass)
            {
                _paths.Remove(path);
            }
        }
    }

    /// <summary>One path on its own (a pass of its own).</summary>
    public UnixSocketPath Inspect(string path, bool hasListener)
    {
        BeginPass();
        Span<byte> bytes = stackalloc byte[ProcFs.MaxPath];
        if (Encoding.UTF8.GetByteCount(path) >= bytes.Length)
        {
            return new UnixSocketPath { Path = path, HasListener = hasListener, ClientUser = client?.Name ?? "", Problem = "path too long" };
        }

        bytes[Encoding.UTF8.GetBytes(path, bytes)] = 0;
        return Inspect(path, bytes, hasListener, out _);
    }

    /// <summary>
    /// The path's state within the current pass; <paramref name="hash"/> identifies the result
    /// (equal results of one path have equal hashes). Results are shared: never modify them.
    /// </summary>
    public UnixSocketPath Inspect(string path, ReadOnlySpan<byte> nulTerminatedPath, bool hasListener, out int hash)
    {
        _paths.TryGetValue(path, out var entry);
        var slash = path.LastIndexOf('/');
        var unchanged = slash >= 0 && path[0] == '/' && _watcher.Unchanged(path.AsSpan(0, Math.Max(slash, 1)));
        FileStatus? status;
        int errno;
        var statted = false;
        if (entry is not null && unchanged && entry.Pass == _pass - 1 && _pass - entry.StatPass < RefreshPasses)
        {
            // Nothing happened in its directory since it was last looked at: the stat would say the same.
            status = entry.Status;
            errno = entry.Errno;
        }
        else
        {
            StatCalls++;
            statted = true;
            status = FileStatus.Of(nulTerminatedPath, out errno);
        }

        var denial = client is not null && status is { IsSocket: true } ? DirectoryDenial(path, client) : null;
        if (entry is not null && entry.Status == status && entry.Errno == errno
            && entry.HasListener == hasListener && string.Equals(entry.DirectoryDenial, denial, StringComparison.Ordinal))
        {
            if (statted)
            {
                entry.StatPass = _pass;
            }

            entry.Pass = _pass;
            hash = entry.Hash;
            return entry.Result;
        }

        var result = Build(path, status, errno, denial, hasListener);
        // Refreshes are spread over passes rather than all falling due in the same one, but a path
        // just looked at waits at least half the period (a spread of the whole period made some
        // paths due again on the very next pass: string hashes differ per process).
        entry = new PathEntry(status, errno, hasListener, denial, result, result.GetHashCode()) { Pass = _pass, StatPass = _pass - (int)((uint)path.GetHashCode() % (RefreshPasses / 2)) };
        _paths[path] = entry;
        hash = entry.Hash;
        return result;
    }

    private UnixSocketPath Build(string path, FileStatus? status, int errno, string? directoryDenial, bool hasListener)
    {
        var state = new UnixSocketPath { Path = path, HasListener = hasListener, ClientUser = client?.Name ?? "" };
        if (status is null)
        {
            state.Problem = errno switch
            {
                Enoent when hasListener => "socket file removed while its listener lives: clients get ENOENT (2: No such file or directory)",
                Enoent => "no such file: clients get ENOENT (2: No such file or directory)",
                Eacces => "the agent may not stat the path (EACCES): its state is unknown",
                _ => $"stat failed (errno {errno})",
            };
            return state;
        }

        var s = status.Value;
        state.Exists = true;
        state.IsSocket = s.IsSocket;
        state.Uid = s.Uid;
        state.Gid = s.Gid;
        state.Mode = s.Permissions;
        state.Owner = Name(_users, s.Uid, group: false);
        state.Group = Name(_groups, s.Gid, group: true);
        if (!s.IsSocket)
        {
            state.Problem = "not a socket: clients get ECONNREFUSED (111)";
            return state;
        }

        if (!hasListener)
        {
            state.Problem = "stale socket file, nothing listens: clients get ECONNREFUSED (111: Connection refused)";
        }

        if (client is not null)
        {
            // connect() needs search (x) on every directory on the way and write (w) on the socket.
            var denied = directoryDenial ?? (client.May(s.Uid, s.Gid, s.Mode, 2)
                ? null
                : $"socket mode {Octal(s.Permissions)} owner {s.Uid}:{s.Gid} gives {client.Name} no write permission: clients get EACCES (13: Permission denied)");
            state.ClientCanConnect = denied is null;
            if (denied is not null)
            {
                state.Problem = state.Problem.Length == 0 ? denied : state.Problem + "; " + denied;
            }
        }

        return state;
    }

    // The outermost directory on the way to the path that the client may not search; null when all may be.
    private string? DirectoryDenial(string path, UnixAccount user)
    {
        var full = path.StartsWith('/') ? path : Path.GetFullPath(path);
        var slash = full.LastIndexOf('/');
        return DirectoryVerdict(full.AsSpan(0, Math.Max(slash, 1)), user);
    }

    private string? DirectoryVerdict(ReadOnlySpan<char> dir, UnixAccount user)
    {
        var lookup = _directories.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(dir, out var known))
        {
            return known;
        }

        string? verdict = null;
        if (dir.Length > 1)
        {
            var slash = dir.LastIndexOf('/');
            verdict = DirectoryVerdict(dir[..Math.Max(slash, 1)], user);
        }

        var name = dir.ToString();
        if (verdict is null && FileStatus.Of(name, out _) is { } st && !user.May(st.Uid, st.Gid, st.Mode, 1))
        {
            verdict = $"{name}: no search permission for {user.Name} (mode {Octal(st.Permissions)}): clients get EACCES (13: Permission denied)";
        }

        _directories[name] = verdict;
        return verdict;
    }

    private string Name(Dictionary<uint, string> cache, uint id, bool group)
    {
        if (!cache.TryGetValue(id, out var name))
        {
            name = UnixAccount.NameOf(id, group, etc);
            cache[id] = name;
        }

        return name;
    }

    private static string Octal(uint mode) => "0" + Convert.ToString(mode, 8);

    private sealed class PathEntry(FileStatus? status, int errno, bool hasListener, string? directoryDenial, UnixSocketPath result, int hash)
    {
        public FileStatus? Status { get; } = status;

        public int Errno { get; } = errno;

        public bool HasListener { get; } = hasListener;

        public string? DirectoryDenial { get; } = directoryDenial;

        public UnixSocketPath Result { get; } = result;

        public int Hash { get; } = hash;

        public int Pass { get; set; }

        public int StatPass { get; set; }
    }
}
