using System.Globalization;
using System.Text;
using Fleet502.Agent.Platform;
using Fleet502.Agent.Shipping;
using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Agent.Tailing;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Time.Testing;

namespace Fleet502.Tests.Agent.Sources.NginxErrorLog;

/// <summary>
/// The coalescer writes events straight to protobuf from the line's bytes: what the collector decodes
/// must be the event the line describes, field for field, and a steady storm must allocate nothing.
/// </summary>
[Collection(nameof(EncodedEventPool))]
public class UpstreamErrorEncodingTests
{
    public static TheoryData<string> Lines =>
    [
        "2023/10/20 09:37:22 [error] 1258#1258: *11895 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.2, server: digisop-ad.axxsoln.in, request: \"GET /favicon.ico HTTP/1.1\", upstream: \"http://10.0.1.151:3000/favicon.ico\", host: \"digisop-ad.axxsoln.in\", referrer: \"https://digisop-ad.axxsoln.in/departments\"",
        "2020/02/20 16:45:08 [crit] 551#551: *1 connect() to unix:/var/run/php-fpm.sock failed (2: No such file or directory) while connecting to upstream, client: 172.17.0.1, server: , request: \"GET / HTTP/1.1\", upstream: \"fastcgi://unix:/var/run/php-fpm.sock:\", host: \"localhost:5000\"",
        "2021/12/31 13:40:59 [error] 13#13: *141596 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 127.0.0.1, server: , request: \"POST /api/login HTTP/1.1\", upstream: \"fastcgi://unix:///var/run/php-fpm.sock\", host: \"wcd_api\"",
        "2024/05/01 10:00:02 [error] 6#6: *9 upstream prematurely closed connection while reading response header from upstream, client: ::1, server: a, request: \"GET / HTTP/1.1\", upstream: \"http://[::1]:5000/api/9\", host: \"a\"",
        "nginx_1      | 2019/09/26 01:32:42 [error] 56#56: *63 no live upstreams while connecting to upstream, client: 113.185.40.45, server: mywilldomain.tk, request: \"GET /favicon.ico HTTP/1.1\", upstream: \"http://mywilldomain.tk/favicon.ico\", host: \"mywilldomain.tk\"",
        // Truncated before the context: the target comes from the message.
        "2020/02/20 16:45:08 [crit] 551#551: *1 connect() to unix:/run/php/php8.2-fpm.sock failed (13: Permission denied)",
        "2024/05/01 10:00:00 [error] 6#6: *7 connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: ünïcødé.example, request: \"GET /héllo HTTP/1.1\", upstream: \"http://10.0.0.5:0080/x\", host: \"ünïcødé.example\"",
    ];

    [Theory]
    [MemberData(nameof(Lines))]
    public void The_encoded_event_holds_what_the_line_says(string text) => AssertEncodesLikeTheMessage(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Invalid_utf8_and_a_sample_cut_inside_a_character_decode_as_replacement_characters()
    {
        // Binary garbage in the request, and a raw line longer than the 4 KiB sample with "é" across the cut.
        var head = Encoding.UTF8.GetBytes("2024/05/01 10:00:00 [error] 6#6: *7 connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: a, request: \"GET /");
        var garbage = new byte[] { 0xff, 0xfe, 0xc3, 0x28, 0x80 };
        var middle = Encoding.UTF8.GetBytes(" HTTP/1.1\", upstream: \"http://10.0.0.5:80/x\", host: \"a\", referrer: \"");
        var pad = 4096 - head.Length - garbage.Length - middle.Length - 1;
        var line = head.Concat(garbage).Concat(middle).Concat(Enumerable.Repeat((byte)'x', pad)).Concat(Encoding.UTF8.GetBytes("é\"")).ToArray();

        var evt = AssertEncodesLikeTheMessage(line);

        Assert.Contains('\uFFFD', evt.UpstreamError.Request);
        Assert.EndsWith("\uFFFD", evt.UpstreamError.Raw, StringComparison.Ordinal);
    }

    [Fact]
    public void A_storm_of_new_keys_allocates_nothing_per_line_once_warm()
    {
        // Every line a new (peer, second) group, each repeated once so half of them fold: the generator's shape.
        var clock = new FakeTimeProvider(new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero));
        var pending = new PendingOffsets();
        var coalescer = new UpstreamErrorCoalescer(TimeSpan.FromSeconds(1), clock,
            origin => pending.Add(new FileIdentity(origin.Device, origin.Inode), origin.Generation, origin.Offset));
        var lines = new List<byte[]>();
        for (var second = 0; second < 40; second++)
        {
            for (var peer = 0; peer < 300; peer++)
            {
                for (var repeat = 0; repeat < 2; repeat++)
                {
                    lines.Add(Encoding.UTF8.GetBytes(string.Format(CultureInfo.InvariantCulture,
                        "2024/05/01 10:00:{0:D2} [error] 6#6: *{1} connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: a, request: \"GET /x HTTP/1.1\", upstream: \"http://10.0.{2}.{3}:80/x\", host: \"a\"",
                        second, lines.Count, peer / 250, peer % 250)));
                }
            }
        }

        var drained = new List<EncodedEvent>();
        long offset = 0;
        var events = 0;
        void Run(int from, int to)
        {
            for (var i = from; i < to; i++)
            {
                Assert.True(NginxErrorLineParser.TryParse(lines[i], out var line));
                coalescer.Add(line, UpstreamErrorClassifier.Classify(line), lines[i], new LineOrigin("/var/log/nginx/error.log", 1, 2, offset));
                offset += lines[i].Length + 1;
                if (i % 250 == 0)
                {
                    coalescer.Drain(drained);
                    foreach (var evt in drained)
                    {
                        // What the stream does on the ack.
                        pending.Release(evt.Source!.Value.File, evt.Source.Value.Generation, evt.Source.Value.Offset);
                        EncodedEventPool.Return(evt);
                        events++;
                    }

                    drained.Clear();
                }
            }
        }

        Run(0, lines.Count / 2);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Run(lines.Count / 2, lines.Count);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(events > lines.Count / 3, $"{events} events");
        Assert.Equal(0, allocated);
    }

    // Builds, from the message types, the event the line describes, and compares it with what the coalescer wrote.
    private static Event AssertEncodesLikeTheMessage(byte[] raw)
    {
        Assert.True(NginxErrorLineParser.TryParse(raw, out var line));
        var classification = UpstreamErrorClassifier.Classify(line);
        Assert.True(classification.Blames);
        var coalescer = new UpstreamErrorCoalescer(TimeSpan.Zero, new FakeTimeProvider());
        var origin = new LineOrigin("/var/log/nginx/error.log", 7, 8, 1234, 3);
        coalescer.Add(line, classification, raw, origin);
        var encoded = new List<EncodedEvent>();
        coalescer.Drain(encoded, all: true);
        var actual = Assert.Single(encoded).ToEvent();

        var at = Timestamp.FromDateTime(TimeZoneInfo.ConvertTimeToUtc(line.LocalTime!.Value, TimeZoneInfo.Local));
        var target = UpstreamTargetParser.Parse(line.Upstream);
        if (target is null && line.Message.StartsWith("connect() to "u8) && line.Message.EndsWith(" failed"u8))
        {
            target = UpstreamTargetParser.Parse(line.Message["connect() to "u8.Length..^" failed"u8.Length]);
        }

        var expected = new Event
        {
            Time = at,
            Source = origin.ToSourceRef(),
            UpstreamError = new UpstreamError
            {
                Cause = classification.Cause,
                Phase = line.Phase,
                Target = target,
                Server = Encoding.UTF8.GetString(line.Server),
                Client = Encoding.UTF8.GetString(line.Client),
                Request = Encoding.UTF8.GetString(line.Request),
                Host = Encoding.UTF8.GetString(line.Host),
                Errno = line.Errno,
                Level = line.Level.ToString().ToLowerInvariant(),
                Status = classification.Status,
                Count = 1,
                FirstTime = at,
                LastTime = at,
                Raw = Encoding.UTF8.GetString(raw.AsSpan(0, Math.Min(raw.Length, 4096))),
                UpstreamUrl = Encoding.UTF8.GetString(line.Upstream),
            },
        };
        Assert.Equal(expected, actual);
        Assert.Equal(new SourcePosition(new FileIdentity(7, 8), 3, 1234), encoded[0].Source);
        return actual;
    }
}
