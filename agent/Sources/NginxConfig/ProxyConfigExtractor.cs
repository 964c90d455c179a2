using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.NginxConfig;

/// <summary>
/// Reads what matters for 502/504 out of the directive tree: upstream blocks, every *_pass with the
/// server/location it serves and the timeouts and buffers in effect there (inherited from http and
/// server like nginx does), and the access/error logs with their log_format definitions.
/// </summary>
public static class ProxyConfigExtractor
{
    private static readonly string[] PassModules = ["proxy", "fastcgi", "uwsgi", "scgi", "grpc"];

    public static ProxyConfig Extract(ParsedConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var result = new ProxyConfig();
        result.Files.AddRange(config.Files);
        Walk(config.Root, new Scope(), result, "main");

        var upstreamNames = result.Upstreams.Select(u => u.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var route in result.Routes)
        {
            route.Upstream = UpstreamName(route.Target) is { } name && upstreamNames.Contains(name) ? name : "";
        }

        return result;
    }

    private static void Walk(IReadOnlyList<ConfigDirective> block, Scope outer, ProxyConfig result, string context)
    {
        // Settings of this level first (nginx inherits whatever the level sets, wherever it is written).
        var scope = outer.Child(context == "stream");
        foreach (var d in block)
        {
            if (d.Block is not null)
            {
                continue;
            }

            if (d.Name.EndsWith("_timeout", StringComparison.Ordinal) || IsBufferDirective(d.Name))
            {
                scope.Settings[d.Name] = string.Join(' ', d.Args);
            }
            else if (d.Name == "access_log")
            {
                scope.SetAccessLog(d.Arg(0) == "off" ? null : new LogFile { Path = d.Arg(0), FormatOrLevel = d.Args.Count > 1 && !d.Arg(1).Contains('=', StringComparison.Ordinal) ? d.Arg(1) : "combined" });
            }
            else if (d.Name == "server_name" && context == "server")
            {
                scope.ServerNames.AddRange(d.Args);
            }
            else if (d.Name == "listen" && context == "server")
            {
                scope.Listen.Add(string.Join(' ', d.Args));
            }
        }

        foreach (var d in block)
        {
            switch (d.Name)
            {
                case "log_format" when d.Args.Count >= 2:
                    AddLogFormat(d, result);
                    break;
                case "error_log" when d.Args.Count >= 1:
                    result.ErrorLogs.Add(WithServers(new LogFile { Path = d.Arg(0), FormatOrLevel = d.Args.Count > 1 ? d.Arg(1) : "error" }, scope));
                    break;
                case "access_log" when d.Args.Count >= 1 && d.Arg(0) != "off":
                    result.AccessLogs.Add(WithServers(new LogFile { Path = d.Arg(0), FormatOrLevel = d.Args.Count > 1 && !d.Arg(1).Contains('=', StringComparison.Ordinal) ? d.Arg(1) : "combined" }, scope));
                    break;
                case "upstream" when d.Block is not null:
                    result.Upstreams.Add(Upstream(d));
                    break;
                case "http" or "stream" or "server" or "location" or "if" or "limit_except" when d.Block is not null:
                    var child = d.Name == "location" ? scope.WithLocation(string.Join(' ', d.Args)) : scope;
                    Walk(d.Block, child, result, d.Name is "http" or "stream" ? d.Name : d.Name == "server" ? "server" : "location");
                    break;
                default:
                    if (d.Block is null && d.Name.EndsWith("_pass", StringComparison.Ordinal) && d.Args.Count >= 1)
                    {
                        var module = d.Name[..^"_pass".Length];
                        if (Array.IndexOf(PassModules, module) >= 0)
                        {
                            result.Routes.Add(Route(d, module, scope, context));
                        }
                    }

                    break;
            }
        }
    }

    private static ProxyRoute Route(ConfigDirective d, string module, Scope scope, string context)
    {
        var route = new ProxyRoute
        {
            // In a stream{} server, proxy_pass is the TCP/UDP proxy.
            Module = context == "stream" || scope.InStream ? "stream_proxy" : module,
            Target = d.Arg(0),
            Location = scope.Location,
            File = d.File,
            Line = (uint)d.Line,
        };
        route.ServerNames.AddRange(scope.AllServerNames());
        route.Listen.AddRange(scope.AllListen());
        foreach (var (name, value) in scope.AllSettings())
        {
            if (!name.StartsWith(module + "_", StringComparison.Ordinal))
            {
                continue;
            }

            if (name.EndsWith("_timeout", StringComparison.Ordinal))
            {
                if (NginxTime.TryParseMilliseconds(value, out var ms))
                {
                    route.TimeoutsMs[name] = ms;
                }
            }
            else
            {
                route.Buffers[name] = value;
            }
        }

        route.AccessLogs.AddRange(scope.EffectiveAccessLogs().Select(l => l.Path));
        return route;
    }

    private static UpstreamBlock Upstream(ConfigDirective d)
    {
        var upstream = new UpstreamBlock { Name = d.Arg(0), File = d.File, Line = (uint)d.Line };
        foreach (var s in d.Block!)
        {
            if (s.Name != "server" || s.Args.Count == 0)
            {
                if (s.Block is null)
                {
                    upstream.Options.Add(s.Args.Count == 0 ? s.Name : s.Name + " " + string.Join(' ', s.Args));
                }

                continue;
            }

            // nginx defaults: weight=1 max_fails=1 fail_timeout=10s.
            var server = new UpstreamServer { Address = s.Arg(0), Weight = 1, MaxFails = 1, FailTimeoutS = 10 };
            foreach (var arg in s.Args.Skip(1))
            {
                var eq = arg.IndexOf('=', StringComparison.Ordinal);
                var key = eq < 0 ? arg : arg[..eq];
                var value = eq < 0 ? "" : arg[(eq + 1)..];
                switch (key)
                {
                    case "weight" when uint.TryParse(value, out var w):
                        server.Weight = w;
                        break;
                    case "max_fails" when uint.TryParse(value, out var f):
                        server.MaxFails = f;
                        break;
                    case "max_conns" when uint.TryParse(value, out var c):
                        server.MaxConns = c;
                        break;
                    case "fail_timeout" when NginxTime.TryParseMilliseconds(value, out var ms):
                        server.FailTimeoutS = ms / 1000;
                        break;
                    case "backup":
                        server.Backup = true;
                        break;
                    case "down":
                        server.Down = true;
                        break;
                    case "resolve":
                        server.Resolve = true;
                        break;
                }
            }

            upstream.Servers.Add(server);
        }

        return upstream;
    }

    private static void AddLogFormat(ConfigDirective d, ProxyConfig result)
    {
        var escape = "default";
        var parts = d.Args.Skip(1).ToList();
        if (parts.Count > 0 && parts[0].StartsWith("escape=", StringComparison.Ordinal))
        {
            escape = parts[0]["escape=".Length..];
            parts.RemoveAt(0);
        }

        // nginx joins the quoted pieces with nothing in between.
        result.LogFormats.Add(new LogFormatDefinition { Name = d.Arg(0), Escape = escape, Format = string.Concat(parts) });
    }

    private static LogFile WithServers(LogFile log, Scope scope)
    {
        log.ServerNames.AddRange(scope.AllServerNames());
        return log;
    }

    private static bool IsBufferDirective(string name) =>
        name.Contains("buffer", StringComparison.Ordinal) || name.EndsWith("_temp_file_write_size", StringComparison.Ordinal)
        || name.EndsWith("_max_temp_file_size", StringComparison.Ordinal);

    /// <summary>The upstream group a pass target names: "http://backend/x" → "backend"; addresses and variables → null.</summary>
    internal static string? UpstreamName(string target)
    {
        var rest = target;
        var scheme = rest.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            rest = rest[(scheme + 3)..];
        }

        if (rest.StartsWith("unix:", StringComparison.Ordinal) || rest.Contains('$', StringComparison.Ordinal))
        {
            return null;
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            rest = rest[..slash];
        }

        return rest.Length == 0 || rest.Contains(':', StringComparison.Ordinal) ? null : rest;
    }
}
