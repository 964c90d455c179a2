using Fleet502.Agent.Sources.Processes;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.Listeners;

/// <summary>
/// Checks a unix socket path the way nginx's connect() will meet it: ENOENT when the file is gone,
/// ECONNREFUSED when the file exists but nothing listens, EACCES when the worker user lacks search
/// permission on a parent directory or write permission on the socket.
/// </summary>
public sealed class UnixSocketInspector(UnixAccount? client, string etc = "/etc")
{
    private const int Enoent = 2;
    private const int Eacces = 13;
    private readonly Dictionary<uint, string> _users = [];
    private readonly Dictionary<uint, string> _groups = [];

    public UnixAccount? Client => client;

    public UnixSocketPath Inspect(string path, bool hasListener)
    {
        var state = new UnixSocketPath { Path = path, HasListener = hasListener, ClientUser = client?.Name ?? "" };
        var status = FileStatus.Of(path, out var errno);
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
            var denied = FindDenial(path, s, client);
            state.ClientCanConnect = denied is null;
            if (denied is not null)
            {
                state.Problem = state.Problem.Length == 0 ? denied : state.Problem + "; " + denied;
            }
        }

        return state;
    }

    private static string? FindDenial(string path, FileStatus socket, UnixAccount client)
    {
        // connect() needs search (x) on every directory on the way and write (w) on the socket.
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        var chain = new Stack<string>();
        for (var d = directory; !string.IsNullOrEmpty(d); d = Path.GetDirectoryName(d))
        {
            chain.Push(d);
        }

        foreach (var dir in chain)
        {
            var ds = FileStatus.Of(dir, out _);
            if (ds is { } st && !client.May(st.Uid, st.Gid, st.Mode, 1))
            {
                return $"{dir}: no search permission for {client.Name} (mode {Octal(st.Permissions)}): clients get EACCES (13: Permission denied)";
            }
        }

        return client.May(socket.Uid, socket.Gid, socket.Mode, 2)
            ? null
            : $"socket mode {Octal(socket.Permissions)} owner {socket.Uid}:{socket.Gid} gives {client.Name} no write permission: clients get EACCES (13: Permission denied)";
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
}
