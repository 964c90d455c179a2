using System.Globalization;

namespace Fleet502.Agent.Sources.Listeners;

/// <summary>A local user as /etc/passwd and /etc/group describe it: what permission checks need.</summary>
public sealed record UnixAccount(string Name, uint Uid, uint Gid, IReadOnlySet<uint> Groups)
{
    /// <summary>Candidates for the nginx worker user, in the order distributions use them.</summary>
    public static readonly string[] NginxUsers = ["www-data", "nginx", "http", "nobody"];

    /// <summary>Looks a user up by name (or numeric uid); null when unknown.</summary>
    public static UnixAccount? Find(string nameOrUid, string etc = "/etc")
    {
        foreach (var line in ReadLines(Path.Combine(etc, "passwd")))
        {
            // name:x:uid:gid:gecos:home:shell
            var f = line.Split(':');
            if (f.Length < 4 || (f[0] != nameOrUid && f[2] != nameOrUid)
                || !uint.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
                || !uint.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out var gid))
            {
                continue;
            }

            var groups = new HashSet<uint> { gid };
            foreach (var g in ReadLines(Path.Combine(etc, "group")))
            {
                // name:x:gid:member,member
                var gf = g.Split(':');
                if (gf.Length >= 4 && gf[3].Split(',').Contains(f[0])
                    && uint.TryParse(gf[2], NumberStyles.None, CultureInfo.InvariantCulture, out var member))
                {
                    groups.Add(member);
                }
            }

            return new UnixAccount(f[0], uid, gid, groups);
        }

        return null;
    }

    /// <summary>uid → name from /etc/passwd (or /etc/group for gids); the number when unknown.</summary>
    public static string NameOf(uint id, bool group, string etc = "/etc")
    {
        var text = id.ToString(CultureInfo.InvariantCulture);
        foreach (var line in ReadLines(Path.Combine(etc, group ? "group" : "passwd")))
        {
            var f = line.Split(':');
            if (f.Length >= 3 && f[2] == text)
            {
                return f[0];
            }
        }

        return text;
    }

    /// <summary>Whether this user has <paramref name="bit"/> (4 read, 2 write, 1 execute) on a file.</summary>
    public bool May(uint fileUid, uint fileGid, uint mode, uint bit)
    {
        if (Uid == 0)
        {
            return true;
        }

        var shift = fileUid == Uid ? 6 : Groups.Contains(fileGid) ? 3 : 0;
        return ((mode >> shift) & bit) != 0;
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
