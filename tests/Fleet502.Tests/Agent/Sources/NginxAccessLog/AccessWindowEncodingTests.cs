using System.Text;
using Fleet502.Agent.Platform;
using Fleet502.Agent.Shipping;
using Fleet502.Agent.Sources.NginxAccessLog;
using Fleet502.Protos.V1;

namespace Fleet502.Tests.Agent.Sources.NginxAccessLog;

/// <summary>The windows the agent ships are written straight to protobuf: they must decode to the messages the aggregator describes.</summary>
public class AccessWindowEncodingTests
{
    private static readonly int[] Statuses = [404, 499, 502, 504];

    private const string Format = "$remote_addr [$time_local] \"$request\" $status $body_bytes_sent $server_name $proxy_upstream_name rt=$request_time "
        + "ua=\"$upstream_addr\" us=\"$upstream_status\" urt=\"$upstream_response_time\" uht=\"$upstream_header_time\"";

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void Encoded_windows_decode_to_the_described_windows(int seed)
    {
        var lines = Lines(seed, 6000);
        var described = new AccessWindowAggregator(LogFormat.Parse(Format));
        var encoded = new AccessWindowAggregator(LogFormat.Parse(Format));
        var source = new AccessFileSource("/var/log/nginx/ä access.log", new FileIdentity(2049, 77), 3);
        var expected = new List<ClosedAccessWindow>();
        var actual = new List<EncodedEvent>();
        for (var i = 0; i < lines.Count; i++)
        {
            Assert.Equal(described.Add(lines[i], i * 100L), encoded.Add(lines[i], i * 100L));
            if (i % 500 == 0)
            {
                // Drain as the follower does, mid-stream: pooled states are reused for later windows.
                described.Drain(expected);
                encoded.Drain(actual, source);
            }
        }

        described.CloseAll();
        encoded.CloseAll();
        described.Drain(expected);
        encoded.Drain(actual, source);

        Assert.True(expected.Count > 2000, $"{expected.Count} windows");
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var evt = actual[i].ToEvent();
            Assert.Equal(expected[i].Window, evt.AccessWindow);
            Assert.Equal(evt.AccessWindow.Start.Seconds + AccessWindowAggregator.WindowSeconds, evt.Time.Seconds);
            Assert.Equal(new SourceRef { Path = source.Path, Device = 2049, Inode = 77, Generation = 3, Offset = expected[i].FirstOffset }, evt.Source);
            Assert.Equal(new SourcePosition(source.Identity, 3, expected[i].FirstOffset), actual[i].Source);
            EncodedEventPool.Return(actual[i]);
        }

        // Something of every kind went through: spilled histograms, many statuses, bad UTF-8, the overflow window.
        Assert.Contains(expected, w => w.Window.RequestTime.Count > LatencyHistogram.SmallCount);
        Assert.Contains(expected, w => w.Window.Statuses.Count > 8);
        Assert.Contains(expected, w => w.Window.Server.Contains('\uFFFD', StringComparison.Ordinal));
        Assert.Contains(expected, w => w.Window.Upstream == AccessWindowAggregator.OverflowUpstream);
    }

    [Fact]
    public void A_reused_histogram_gives_the_quantiles_of_a_new_one()
    {
        var random = new Random(5);
        var reused = new LatencyHistogram();
        foreach (var count in new[] { 3, 40, 1, 32, 33, 500, 17, 0, 2 })
        {
            var values = Enumerable.Range(0, count).Select(_ => (uint)Math.Exp(random.NextDouble() * 11)).ToList();
            var fresh = new LatencyHistogram();
            reused.Reset();
            values.ForEach(fresh.Add);
            values.ForEach(reused.Add);
            var sorted = values.Order().ToList();
            foreach (var q in new[] { 0.5, 0.95, 0.99 })
            {
                Assert.Equal(fresh.Quantile(q), reused.Quantile(q));
                if (count > 0)
                {
                    var exact = sorted[(int)Math.Ceiling(q * count) - 1];
                    Assert.InRange(reused.Quantile(q), exact * 0.97 - 1, exact * 1.03 + 1);
                }
            }

            Assert.Equal((ulong)count, reused.Count);
            Assert.Equal(count == 0 ? 0 : sorted[^1], reused.Max);
        }
    }

    [Fact]
    public void A_reused_window_state_carries_its_own_key_after_a_longer_or_shorter_one()
    {
        // One window per period, drained each time: the next period gets the same pooled state back.
        var aggregator = new AccessWindowAggregator(LogFormat.Parse(Format));
        var source = new AccessFileSource("/var/log/nginx/access.log", new FileIdentity(1, 2), 0);
        var servers = new[] { "a", new string('l', 300), "shop", new string('m', 100), "b" };
        var groups = new[] { "-", new string('g', 300), "backend", "-", "g" };
        var events = new List<EncodedEvent>();
        for (var i = 0; i < servers.Length; i++)
        {
            var line = $"10.1.1.1 [01/May/2024:10:{i:00}:00 +0000] \"GET / HTTP/1.1\" 200 10 {servers[i]} {groups[i]} rt=0.010 ua=\"10.0.0.{i}:80\" us=\"200\" urt=\"0.005\" uht=\"0.004\"";
            Assert.True(aggregator.Add(Encoding.UTF8.GetBytes(line), i));
            aggregator.CloseAll();
            aggregator.Drain(events, source);
        }

        var windows = events.Select(e => e.ToEvent().AccessWindow).ToList();
        events.ForEach(EncodedEventPool.Return);
        Assert.Equal(servers.Select(s => s[..Math.Min(s.Length, AccessWindowState.MaxPartBytes)]), windows.Select(w => w.Server));
        Assert.Equal(groups.Select(g => g == "-" ? "" : g[..Math.Min(g.Length, AccessWindowState.MaxPartBytes)]), windows.Select(w => w.UpstreamGroup));
        Assert.Equal(Enumerable.Range(0, servers.Length).Select(i => $"10.0.0.{i}:80"), windows.Select(w => w.Upstream));
    }

    [Fact]
    public void Closing_and_writing_windows_allocates_nothing_once_warm()
    {
        var aggregator = new AccessWindowAggregator(LogFormat.Parse(Format));
        var source = new AccessFileSource("/var/log/nginx/access.log", new FileIdentity(1, 2), 0);
        // The same 20 s of log seven times, an hour apart: periods open and close as the log's time moves on.
        var passes = Enumerable.Range(0, 7).Select(p => Lines(11, 8000, hour: 10 + p, hostile: false)).ToList();
        var events = new List<EncodedEvent>(4096);
        // The event pool is shared with tests running in parallel: stock it well past what this test holds at once.
        var stock = Enumerable.Range(0, 4096).Select(_ => EncodedEventPool.Rent()).ToList();
        stock.ForEach(EncodedEventPool.Return);
        void Pass(List<byte[]> lines)
        {
            for (var i = 0; i < lines.Count; i++)
            {
                aggregator.Add(lines[i], i);
                if (i % 500 == 0)
                {
                    aggregator.Drain(events, source);
                    foreach (var evt in events)
                    {
                        EncodedEventPool.Return(evt);
                    }

                    events.Clear();
                }
            }
        }

        // Warm: pools, period tables and lists reach their size.
        Pass(passes[0]);
        Pass(passes[1]);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var p = 2; p < passes.Count; p++)
        {
            Pass(passes[p]);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static List<byte[]> Lines(int seed, int count, int hour = 10, bool hostile = true)
    {
        var random = new Random(seed);
        var lines = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            var second = i / 400;
            var time = $"{hour}:{second / 60:00}:{second % 60:00}";
            var server = random.Next(20) == 0 ? (hostile ? "bad\u00ff" : "b.example.com") : random.Next(3) == 0 ? "api.example.com" : "shop";
            var tries = random.Next(6) == 0 ? 2 : 1;
            // A few hot peers (more than SmallCount values per window) and a long tail of one-off peers.
            var addrs = Enumerable.Range(0, tries).Select(_ => random.Next(2) == 0 ? "10.0.0.1:80" : $"10.{random.Next(8)}.{random.Next(256)}.{random.Next(256)}:9000").ToList();
            // Hostile: hundreds of statuses (status lists and events outgrow their first buffers) and invalid UTF-8 (the slow path).
            var status = random.Next(10) != 0 ? 200 : hostile ? 100 + random.Next(500) : Statuses[random.Next(Statuses.Length)];
            var us = string.Join(", ", addrs.Select(_ => random.Next(8) == 0 ? "-" : status.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var urt = string.Join(", ", addrs.Select(_ => random.Next(8) == 0 ? "-" : $"{random.Next(30)}.{random.Next(1000):000}"));
            var uht = string.Join(", ", addrs.Select(_ => random.Next(4) == 0 ? "-" : "0.004"));
            var ua = random.Next(15) == 0 ? "-" : string.Join(", ", addrs);
            var text = $"10.1.1.1 [01/May/2024:{time} +0000] \"GET / HTTP/1.1\" {status} {(random.Next(3) == 0 ? 552 : 10)} {server} {(random.Next(2) == 0 ? "-" : "backend")} rt={random.Next(10)}.{random.Next(1000):000} ua=\"{ua}\" us=\"{us}\" urt=\"{urt}\" uht=\"{uht}\"";
            // \u00ff stands for a raw 0xFF byte (invalid UTF-8), as a broken client can put in a Host header.
            var bytes = Encoding.Latin1.GetBytes(text);
            lines.Add(random.Next(50) == 0 ? "garbage line"u8.ToArray() : bytes);
        }

        return lines;
    }
}
