using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet502.Tests.Collector.Infrastructure;

/// <summary>Builds the events an agent would send.</summary>
internal static class TestEvents
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 3, 1, TimeSpan.Zero);

    public static Event Refused(ulong seq, DateTimeOffset time, string target, uint count = 1, string server = "shop.example.com") =>
        Error(seq, time, Cause.BackendDown, Tcp(target), count, 502, server,
            $"{time.UtcDateTime:yyyy/MM/dd HH:mm:ss} [error] 812#812: *{seq} connect() failed (111: Connection refused) while connecting to upstream, " +
            $"client: 203.0.113.7, server: {server}, request: \"GET / HTTP/1.1\", upstream: \"http://{target}/\"");

    public static Event SocketMissing(ulong seq, DateTimeOffset time, string path, uint count = 1) =>
        Error(seq, time, Cause.SocketMissing, new UpstreamTarget { Scheme = "fastcgi", Address = "unix:" + path, UnixPath = path }, count, 502, "php.example.com",
            $"{time.UtcDateTime:yyyy/MM/dd HH:mm:ss} [crit] 812#812: *{seq} connect() to unix:{path} failed (2: No such file or directory) while connecting to upstream");

    public static Event Error(ulong seq, DateTimeOffset time, Cause cause, UpstreamTarget target, uint count, int status, string server, string raw) => new()
    {
        Seq = seq,
        Time = Timestamp.FromDateTimeOffset(time),
        Source = new SourceRef { Path = "/var/log/nginx/error.log", Offset = (long)seq * 200 },
        UpstreamError = new UpstreamError
        {
            Cause = cause,
            Phase = Phase.Connect,
            Target = target,
            Server = server,
            Status = status,
            Count = count,
            FirstTime = Timestamp.FromDateTimeOffset(time),
            LastTime = Timestamp.FromDateTimeOffset(time),
            Raw = raw,
            Level = "error",
        },
    };

    public static UpstreamTarget Tcp(string address)
    {
        var colon = address.LastIndexOf(':');
        return new UpstreamTarget
        {
            Scheme = "http",
            Address = address,
            Host = address[..colon].Trim('[', ']'),
            Port = uint.Parse(address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    public static Event Listeners(ulong seq, DateTimeOffset time, params Listener[] listeners)
    {
        var snapshot = new ListenerSnapshot();
        snapshot.Listeners.AddRange(listeners);
        return new Event { Seq = seq, Time = Timestamp.FromDateTimeOffset(time), ListenerSnapshot = snapshot };
    }

    public static Event Heartbeat(ulong seq, DateTimeOffset time) =>
        new() { Seq = seq, Time = Timestamp.FromDateTimeOffset(time), Heartbeat = new Heartbeat() };

    public static Listener TcpListener(string address, uint port, string process = "node") => new()
    {
        Transport = address.Contains(':', StringComparison.Ordinal) ? Transport.Tcp6 : Transport.Tcp4,
        Address = address,
        Port = port,
        Pid = 812,
        Process = process,
        Service = "app.service",
    };

    public static Listener UnixListener(string path) => new()
    {
        Transport = Transport.Unix,
        UnixPath = path,
        Process = "php-fpm",
        Service = "php8.2-fpm.service",
    };

    public static Hello Hello(string agentId, params string[] addresses)
    {
        var hello = new Hello { AgentId = agentId, Hostname = agentId, Version = "0.1.0-test" };
        hello.Addresses.AddRange(addresses);
        return hello;
    }
}
