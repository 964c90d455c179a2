using Fleet502.Protos.V1;

namespace Fleet502.Diagnosis;

/// <summary>Finds, in a load balancer's nginx config, the routes and upstream blocks behind a target.</summary>
public static class ProxyRoutes
{
    /// <summary>
    /// The *_pass routes that send to <paramref name="target"/> (directly or through an upstream block
    /// that lists it), those of <paramref name="server"/> first.
    /// </summary>
    public static IReadOnlyList<ProxyRoute> For(ProxyConfig config, TargetAddress target, string? server)
    {
        var groups = config.Upstreams
            .Where(u => u.Name == target.Text || u.Servers.Any(s => FleetLookup.ServerAddress(s.Address).Text == target.Text))
            .Select(u => u.Name)
            .ToHashSet(StringComparer.Ordinal);
        return config.Routes
            .Where(r => groups.Contains(r.Upstream) || groups.Contains(Strip(r.Target)) || Strip(r.Target) == target.Text
                || (target.Kind == TargetKind.Tcp && TargetAddress.Parse(Strip(r.Target)).Text == target.Text))
            .OrderByDescending(r => !string.IsNullOrEmpty(server) && r.ServerNames.Contains(server))
            .ToList();
    }

    /// <summary>The upstream block of that name.</summary>
    public static UpstreamBlock? Group(ProxyConfig config, string name) => config.Upstreams.FirstOrDefault(u => u.Name == name);

    /// <summary>"http://backend/api" → "backend"; "unix:/run/a.sock" kept; "http://unix:/run/a.sock:/" → "unix:/run/a.sock".</summary>
    public static string Strip(string written)
    {
        var text = written.Trim();
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            text = text[(scheme + 3)..];
        }

        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            var end = text.IndexOf(':', 5);
            return end > 0 ? text[..end] : text;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        return slash >= 0 ? text[..slash] : text;
    }

    /// <summary>"location /api/ of shop.example.com (/etc/nginx/sites-enabled/shop:12)".</summary>
    public static string Describe(ProxyRoute route)
    {
        var where = string.IsNullOrEmpty(route.Location) ? "server" : route.Location;
        var names = route.ServerNames.Count > 0 ? $" of {string.Join(' ', route.ServerNames)}" : "";
        var file = string.IsNullOrEmpty(route.File) ? "" : $" ({route.File}:{route.Line})";
        return $"{where}{names}{file}";
    }
}
