using System.Text;
using CsCheck;
using Fleet502.Agent.Shipping;
using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Protos.V1;
using Microsoft.Extensions.Time.Testing;

namespace Fleet502.Tests.Agent.Sources.NginxErrorLog;

// Shares the static event pool with the allocation tests: not in parallel with them.
[Collection(nameof(EncodedEventPool))]
public class UpstreamErrorCoalescerTests
{
    // Lines that differ in cause, peer, server, URI and unix-socket spelling.
    private static readonly string[] Templates =
    [
        "2024/05/01 10:00:00 [error] 6#6: *{0} connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: a, request: \"GET /x{0} HTTP/1.1\", upstream: \"http://10.0.0.5:80/x{0}\", host: \"a\"",
        "2024/05/01 10:00:00 [error] 6#6: *{0} connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: b, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.5:80/\", host: \"b\"",
        "2024/05/01 10:00:01 [error] 6#6: *{0} upstream timed out (110: Connection timed out) while reading response header from upstream, client: 1.2.3.4, server: a, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.5:80/\", host: \"a\"",
        "2024/05/01 10:00:01 [crit] 6#6: *{0} connect() to unix:///run/php.sock failed (2: No such file or directory) while connecting to upstream, client: 1.2.3.4, server: a, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://unix:///run/php.sock:\", host: \"a\"",
        "2024/05/01 10:00:02 [crit] 6#6: *{0} connect() to unix:/run/php.sock failed (2: No such file or directory) while connecting to upstream, client: 1.2.3.4, server: a, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://unix:/run/php.sock:\", host: \"a\"",
        "2024/05/01 10:00:02 [error] 6#6: *{0} upstream prematurely closed connection while reading response header from upstream, client: 1.2.3.4, server: a, request: \"GET / HTTP/1.1\", upstream: \"http://[::1]:5000/api/{0}\", host: \"a\"",
    ];

    // How many distinct (cause, peer, server) keys the templates above make: 3 and 4 share one.
    private static readonly int[] KeyOf = [0, 1, 2, 3, 3, 4];

    [Fact]
    public void Coalesced_counts_add_up_whatever_the_order_timing_and_drains()
    {
        var steps = Gen.Select(Gen.Int[0, Templates.Length - 1], Gen.Int[0, 400], Gen.Bool).Array[0, 300];

        steps.Sample(plan =>
        {
            var clock = new FakeTimeProvider(new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero));
            var coalescer = new UpstreamErrorCoalescer(TimeSpan.FromSeconds(1), clock);
            var drained = new List<Event>();
            var added = new int[KeyOf.Max() + 1];
            var n = 0;
            foreach (var (template, advanceMs, drain) in plan)
            {
                Add(coalescer, string.Format(System.Globalization.CultureInfo.InvariantCulture, Templates[template], n++));
                added[KeyOf[template]]++;
                clock.Advance(TimeSpan.FromMilliseconds(advanceMs));
                if (drain)
                {
                    Drain(coalescer, drained);
                }
            }

            Drain(coalescer, drained, all: true);

            Assert.Equal(0, coalescer.PendingCount);
            Assert.Equal(plan.Length, drained.Sum(e => (long)e.UpstreamError.Count));
            var byKey = drained.GroupBy(e => (e.UpstreamError.Cause, e.UpstreamError.Target?.Address, e.UpstreamError.Server))
                .ToDictionary(g => g.Key, g => g.Sum(e => (long)e.UpstreamError.Count));
            Assert.Equal(added.Count(a => a > 0), byKey.Count);
            Assert.Equal(added.Where(a => a > 0).Order(), byKey.Values.Order().Select(v => (int)v));
            Assert.All(drained, e => Assert.True(e.UpstreamError.FirstTime.ToDateTime() <= e.UpstreamError.LastTime.ToDateTime()));
        }, iter: 200);
    }

    [Fact]
    public void A_storm_becomes_a_first_event_at_once_and_one_event_for_the_rest_of_its_second()
    {
        var clock = new FakeTimeProvider();
        var coalescer = new UpstreamErrorCoalescer(TimeSpan.FromSeconds(1), clock);
        for (var i = 0; i < 50_000; i++)
        {
            Add(coalescer, string.Format(System.Globalization.CultureInfo.InvariantCulture, Templates[0], i));
        }

        // The first error is news: it leaves at once, without waiting for the window.
        var events = new List<Event>();
        Drain(coalescer, events);
        var first = Assert.Single(events);
        Assert.Equal(1u, first.UpstreamError.Count);
        Assert.Equal(0, first.Source.Offset);

        clock.Advance(TimeSpan.FromSeconds(1));
        events.Clear();
        Drain(coalescer, events);

        var rest = Assert.Single(events);
        var error = rest.UpstreamError;
        Assert.Equal(49_999u, error.Count);
        Assert.Equal(Cause.BackendDown, error.Cause);
        Assert.Equal("10.0.0.5:80", error.Target.Address);
        Assert.Contains("*1 ", error.Raw, StringComparison.Ordinal);
        Assert.Equal("/var/log/nginx/error.log", rest.Source.Path);
        Assert.Equal(1, rest.Source.Offset);
    }

    [Fact]
    public void Re_reading_the_same_lines_at_another_speed_rebuilds_the_same_events()
    {
        // What makes de-duplication after a crash possible: events depend on the log, not on timing.
        var steps = Gen.Select(Gen.Int[0, Templates.Length - 1], Gen.Int[0, 1500], Gen.Bool).Array[1, 200];
        steps.Sample(plan =>
        {
            var slow = Replay(plan, useTiming: true);
            var fast = Replay(plan, useTiming: false);
            Assert.Equal(slow, fast);
        }, iter: 200);
    }

    private static List<(long Offset, uint Count)> Replay((int Template, int AdvanceMs, bool Drain)[] plan, bool useTiming)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero));
        var coalescer = new UpstreamErrorCoalescer(TimeSpan.FromSeconds(1), clock);
        var events = new List<Event>();
        for (var n = 0; n < plan.Length; n++)
        {
            Add(coalescer, string.Format(System.Globalization.CultureInfo.InvariantCulture, Templates[plan[n].Template], n));
            if (useTiming)
            {
                // Real time passes only within a log second here, as when nginx writes in real time.
                clock.Advance(TimeSpan.FromMilliseconds(Math.Min(plan[n].AdvanceMs, 900)));
                if (plan[n].Drain)
                {
                    Drain(coalescer, events);
                }
            }
        }

        Drain(coalescer, events, all: true);
        return events.Select(e => (e.Source.Offset, e.UpstreamError.Count)).Order().ToList();
    }

    [Fact]
    public void Repeated_keys_allocate_nothing()
    {
        var coalescer = new UpstreamErrorCoalescer(TimeSpan.FromSeconds(1), new FakeTimeProvider());
        var raw = Encoding.UTF8.GetBytes(string.Format(System.Globalization.CultureInfo.InvariantCulture, Templates[1], 7));
        var origin = new LineOrigin("/var/log/nginx/error.log", 1, 2, 0);
        // The first error leaves at once and the second opens the folded event: both allocate once.
        AddBytes(coalescer, raw, origin);
        AddBytes(coalescer, raw, origin);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            AddBytes(coalescer, raw, origin);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void No_input_throws_in_any_parser()
    {
        Gen.Byte.Array[0, 400].Sample(bytes =>
        {
            if (NginxErrorLineParser.TryParse(bytes, out var line))
            {
                _ = UpstreamErrorClassifier.Classify(line);
                _ = UpstreamTargetParser.Parse(line.Upstream);
                _ = UpstreamPeerKey.Of(line, out _);
            }

            if (Fleet502.Agent.Sources.PhpFpmLog.PhpFpmLineParser.TryParse(bytes, out var fpm))
            {
                _ = Fleet502.Agent.Sources.PhpFpmLog.PhpFpmClassifier.Classify(fpm);
            }

            if (Fleet502.Agent.Sources.KernelLog.KernelLineParser.TryParse(bytes, out var kernel))
            {
                _ = Fleet502.Agent.Sources.KernelLog.KernelClassifier.Classify(kernel);
            }

            var format = Fleet502.Agent.Sources.NginxAccessLog.LogFormat.Parse("main");
            _ = format.TryMatch(bytes, new Range[format.Variables.Count]);
        }, iter: 20_000);
    }

    // The events as the collector decodes them.
    private static void Drain(UpstreamErrorCoalescer coalescer, List<Event> into, bool all = false)
    {
        var encoded = new List<EncodedEvent>();
        coalescer.Drain(encoded, all);
        into.AddRange(encoded.Select(e => e.ToEvent()));
        encoded.ForEach(EncodedEventPool.Return);
    }

    private static void Add(UpstreamErrorCoalescer coalescer, string raw) =>
        AddBytes(coalescer, Encoding.UTF8.GetBytes(raw), new LineOrigin("/var/log/nginx/error.log", 1, 2, int.Parse(raw.AsSpan(raw.IndexOf('*') + 1, raw.IndexOf(' ', raw.IndexOf('*')) - raw.IndexOf('*') - 1), System.Globalization.CultureInfo.InvariantCulture)));

    private static void AddBytes(UpstreamErrorCoalescer coalescer, byte[] raw, LineOrigin origin)
    {
        Assert.True(NginxErrorLineParser.TryParse(raw, out var line));
        coalescer.Add(line, UpstreamErrorClassifier.Classify(line), raw, origin);
    }
}
