using System.Globalization;
using System.Text;

namespace Fleet502.Bench;

/// <summary>
/// A small deterministic nginx log writer (same kind + seed + size → same bytes), so the tail
/// benchmark runs without other tools. Error lines use nginx's own error.log format with the common
/// upstream failures; access lines are <c>combined</c> + <c>$request_time $upstream_response_time
/// $upstream_addr $upstream_status</c>. The file never exceeds the size and ends on a whole line.
/// </summary>
internal sealed class LogGenerator(LogKind kind, long maxBytes, int seed)
{
    private static readonly string[] Servers = ["api.example.com", "shop.example.com", "www.example.org", "app.example.net", "admin.example.com", "auth.example.io"];
    private static readonly string[] Paths = ["/api/v1/orders", "/api/v1/orders/{n}", "/api/v1/users/{n}/cart", "/api/v2/search?q=shoes", "/checkout", "/login", "/index.php", "/graphql", "/healthz", "/static/js/app.{n}.js", "/images/p/{n}.jpg"];
    private static readonly string[] Agents =
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "curl/8.5.0",
        "kube-probe/1.31",
    ];

    private static readonly (string Scheme, string Path)[] Sockets = [("fastcgi", "/run/php/php8.2-fpm.sock"), ("http", "/run/gunicorn/app.sock"), ("http", "/run/uwsgi/app.sock")];
    private static readonly int[] Ports = [8080, 8000, 3000, 9000];
    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    private readonly Random _random = new(seed);
    private readonly StringBuilder _line = new(1024);
    private DateTime _clock = new(2026, 11, 24, 6, 0, 0, DateTimeKind.Utc);
    private long _connection = 1000;
    private int _linesThisSecond;
    private int[] _workers = [];

    public (long Bytes, long Lines) Write(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 20);
        var bytes = new byte[8192];
        long written = 0;
        long lines = 0;
        NewWorkers();
        while (true)
        {
            _line.Clear();
            if (kind == LogKind.Error)
            {
                ErrorLine();
            }
            else
            {
                AccessLine();
            }

            _line.Append('\n');
            var n = Encoding.UTF8.GetBytes(_line.ToString(), bytes);
            if (written + n > maxBytes)
            {
                break;
            }

            stream.Write(bytes, 0, n);
            written += n;
            lines++;
            Tick();
        }

        return (written, lines);
    }

    // A few hundred lines per simulated second; workers change on a reload every 30 minutes.
    private void Tick()
    {
        if (++_linesThisSecond < 200 + _random.Next(400))
        {
            return;
        }

        _linesThisSecond = 0;
        _clock = _clock.AddSeconds(1);
        if (_clock.Minute % 30 == 0 && _clock.Second == 0)
        {
            NewWorkers();
        }
    }

    private void NewWorkers() => _workers = [.. Enumerable.Range(0, 4).Select(_ => 1000 + _random.Next(30000))];

    private void ErrorLine()
    {
        var worker = _workers[_random.Next(_workers.Length)];
        var server = Servers[_random.Next(Servers.Length)];
        var request = $"{Method()} {PathOf()} HTTP/1.1";
        var peer = Peer();
        var url = request.Split(' ')[1];
        var pick = _random.Next(100);
        string level;
        string message;
        var upstream = $"http://{peer}{url}";
        if (pick < 50)
        {
            (level, message) = ("error", "connect() failed (111: Connection refused) while connecting to upstream");
        }
        else if (pick < 60)
        {
            var (scheme, socket) = Sockets[_random.Next(Sockets.Length)];
            (level, message) = ("crit", $"connect() to unix:{socket} failed (2: No such file or directory) while connecting to upstream");
            upstream = scheme == "fastcgi" ? $"fastcgi://unix:{socket}:" : $"http://unix:{socket}:{url}";
        }
        else if (pick < 63)
        {
            var (scheme, socket) = Sockets[_random.Next(Sockets.Length)];
            (level, message) = ("error", $"connect() to unix:{socket} failed (11: Resource temporarily unavailable) while connecting to upstream");
            upstream = scheme == "fastcgi" ? $"fastcgi://unix:{socket}:" : $"http://unix:{socket}:{url}";
        }
        else if (pick < 73)
        {
            (level, message) = ("error", "upstream prematurely closed connection while reading response header from upstream");
        }
        else if (pick < 83)
        {
            (level, message) = ("error", "upstream timed out (110: Connection timed out) while reading response header from upstream");
        }
        else if (pick < 86)
        {
            (level, message) = ("error", "recv() failed (104: Connection reset by peer) while reading response header from upstream");
        }
        else if (pick < 88)
        {
            (level, message) = ("error", "no live upstreams while connecting to upstream");
            upstream = $"http://backend{url}";
        }
        else
        {
            (level, message) = ("warn", $"an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/{_random.Next(10)}/{_random.Next(100):D2}/{_random.Next(1_000_000):D10} while reading upstream");
        }

        var c = _clock;
        _line.Append(CultureInfo.InvariantCulture,
            $"{c:yyyy/MM/dd HH:mm:ss} [{level}] {worker}#{worker}: *{_connection++} {message}, client: {Client()}, server: {server}, request: \"{request}\", upstream: \"{upstream}\", host: \"{server}\"");
        if (_random.Next(100) < 15)
        {
            _line.Append(CultureInfo.InvariantCulture, $", referrer: \"https://{server}/\"");
        }
    }

    private void AccessLine()
    {
        var c = _clock;
        var pick = _random.Next(100);
        var server = Servers[_random.Next(Servers.Length)];
        var referrer = _random.Next(10) < 6 ? "-" : $"https://{server}/";
        var upstreamTime = -Math.Log(1 - _random.NextDouble()) * 0.08;
        var requestTime = upstreamTime + _random.NextDouble() * 0.004;
        string status;
        string timing;
        int size;
        if (pick < 90)
        {
            status = "200";
            size = 120 + _random.Next(60000);
            timing = _random.Next(100) == 0
                ? string.Create(CultureInfo.InvariantCulture, $"{requestTime:F3} 0.000, {upstreamTime:F3} {Peer()}, {Peer()} 502, 200")
                : string.Create(CultureInfo.InvariantCulture, $"{requestTime:F3} {upstreamTime:F3} {Peer()} 200");
        }
        else if (pick < 95)
        {
            status = "502";
            size = 157;
            timing = _random.Next(100) < 15
                ? string.Create(CultureInfo.InvariantCulture, $"{requestTime:F3} 0.000 unix:{Sockets[_random.Next(Sockets.Length)].Path} 502")
                : string.Create(CultureInfo.InvariantCulture, $"{requestTime:F3} {upstreamTime:F3} {Peer()} 502");
        }
        else if (pick < 97)
        {
            status = "504";
            size = 167;
            timing = string.Create(CultureInfo.InvariantCulture, $"60.00{_random.Next(10)} 60.000 {Peer()} 504");
        }
        else
        {
            status = "404";
            size = 146;
            timing = string.Create(CultureInfo.InvariantCulture, $"0.00{_random.Next(10)} - - -");
        }

        _line.Append(CultureInfo.InvariantCulture,
            $"{Client()} - - [{c.Day:D2}/{Months[c.Month - 1]}/{c.Year}:{c:HH:mm:ss} +0000] \"{Method()} {PathOf()} HTTP/1.1\" {status} {size} \"{referrer}\" \"{Agents[_random.Next(Agents.Length)]}\" {timing}");
    }

    private string Method() => _random.Next(100) switch
    {
        < 82 => "GET",
        < 95 => "POST",
        _ => "PUT",
    };

    private string PathOf() => Paths[_random.Next(Paths.Length)].Replace("{n}", _random.Next(1, 1_000_000).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private string Peer() => string.Create(CultureInfo.InvariantCulture, $"10.0.{_random.Next(16)}.{2 + _random.Next(253)}:{Ports[_random.Next(Ports.Length)]}");

    private string Client() => string.Create(CultureInfo.InvariantCulture, $"{1 + _random.Next(223)}.{_random.Next(256)}.{_random.Next(256)}.{1 + _random.Next(254)}");
}
