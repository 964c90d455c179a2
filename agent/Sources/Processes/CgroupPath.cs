namespace Fleet502.Agent.Sources.Processes;

/// <summary>Reads a process's cgroup and names what it belongs to: a systemd unit or a container.</summary>
public static class CgroupPath
{
    /// <summary>
    /// Picks the cgroup path from /proc/&lt;pid&gt;/cgroup content: the v2 line ("0::/...") or, on v1, the
    /// name=systemd hierarchy (which is where systemd puts units).
    /// </summary>
    public static string Select(string content)
    {
        string? fallback = null;
        foreach (var line in content.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var first = line.IndexOf(':', StringComparison.Ordinal);
            var second = first < 0 ? -1 : line.IndexOf(':', first + 1);
            if (second < 0)
            {
                continue;
            }

            var controllers = line.AsSpan(first + 1, second - first - 1);
            var path = line[(second + 1)..];
            if (line.StartsWith("0::", StringComparison.Ordinal) || controllers.SequenceEqual("name=systemd"))
            {
                return path;
            }

            fallback ??= path;
        }

        return fallback ?? "";
    }

    /// <summary>The innermost ".service" segment ("/system.slice/php8.2-fpm.service" → "php8.2-fpm.service").</summary>
    public static string SystemdUnit(string cgroup)
    {
        var segments = cgroup.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = segments.Length - 1; i >= 0; i--)
        {
            if (segments[i].EndsWith(".service", StringComparison.Ordinal) && !segments[i].StartsWith("user@", StringComparison.Ordinal))
            {
                return segments[i];
            }
        }

        return "";
    }

    /// <summary>
    /// A 64-hex container id anywhere in the path: "/docker/&lt;id&gt;", "docker-&lt;id&gt;.scope",
    /// "cri-containerd-&lt;id&gt;.scope", "crio-&lt;id&gt;.scope", "libpod-&lt;id&gt;.scope".
    /// </summary>
    public static string ContainerId(string cgroup)
    {
        var segments = cgroup.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = segments.Length - 1; i >= 0; i--)
        {
            var s = segments[i].AsSpan();
            if (s.EndsWith(".scope"))
            {
                s = s[..^6];
            }

            var dash = s.LastIndexOf('-');
            if (dash >= 0)
            {
                s = s[(dash + 1)..];
            }

            if (s.Length == 64 && IsHex(s))
            {
                return s.ToString();
            }
        }

        return "";
    }

    private static bool IsHex(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiHexDigitLower(c))
            {
                return false;
            }
        }

        return true;
    }
}
