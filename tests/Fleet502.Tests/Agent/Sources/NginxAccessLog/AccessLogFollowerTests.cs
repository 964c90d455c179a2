using Fleet502.Agent.Platform;
using Fleet502.Agent.Shipping;
using Fleet502.Agent.Sources.NginxAccessLog;
using Fleet502.Agent.Tailing;
using Fleet502.Protos.V1;
using Fleet502.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Fleet502.Tests.Agent.Sources.NginxAccessLog;

public sealed class AccessLogFollowerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fleet502-access-").FullName;

    [Fact]
    public void Windows_carry_their_period_first_line_and_hold_the_checkpoint_until_acked()
    {
        var log = Path.Combine(_dir, "access.log");
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero));
        var pending = new PendingOffsets();
        using var writer = new AppendOnlyWriter(log);
        writer.WriteLine(Line("10:00:01", 200, "10.0.0.1:80"));
        writer.WriteLine(Line("10:00:02", 502, "10.0.0.2:80"));
        writer.WriteLine("not an access line");
        var thirdOffset = new FileInfo(log).Length;
        writer.WriteLine(Line("10:00:11", 200, "10.0.0.1:80"));

        var ready = new List<Event>();
        var state = Path.Combine(_dir, "state");
        using (var follower = Follower(log, state, pending, time))
        {
            Poll(follower, ready);
            // 10:00:11 is not 2 s past the first period's end yet.
            Assert.Empty(ready);
            Assert.Equal(3, pending.Count);

            time.Advance(TimeSpan.FromSeconds(30));
            Poll(follower, ready);
            Assert.Equal(3, ready.Count);
            Assert.Equal(1, follower.Malformed);
            var first = ready.Where(e => e.AccessWindow.Start.Seconds % 60 == 0).ToList();
            Assert.Equal(2, first.Count);
            Assert.All(first, e => Assert.Equal(0, e.Source.Offset));
            Assert.Equal(1L, first.Sum(e => (long)e.AccessWindow.MalformedLines));
            Assert.Equal(thirdOffset, ready.Single(e => e.AccessWindow.Start.Seconds % 60 == 10).Source.Offset);

            // Nothing acked: the checkpoint stays at the first line.
            follower.SaveCheckpoints();
            var identity = new FileIdentity(ready[0].Source.Device, ready[0].Source.Inode);
            Assert.Equal(0, new CheckpointStore(state, time).Checkpoints.Single().Offset);

            foreach (var e in ready.Where(e => e.Source.Offset == 0))
            {
                pending.Release(identity, e.Source.Generation, e.Source.Offset);
            }

            follower.SaveCheckpoints();
            Assert.Equal(thirdOffset, new CheckpointStore(state, time).Checkpoints.Single().Offset);
        }

        // A restart re-reads from the unacknowledged period and rebuilds the same window.
        var again = new List<Event>();
        using (var follower = Follower(log, state, new PendingOffsets(), time))
        {
            Poll(follower, again);
            time.Advance(TimeSpan.FromSeconds(30));
            Poll(follower, again);
        }

        Assert.Equal(ready.Single(e => e.Source.Offset == thirdOffset).AccessWindow, Assert.Single(again).AccessWindow);
    }

    // The follower writes each window's event as protobuf bytes, as the queue carries it: decode them back.
    private static void Poll(AccessLogFollower follower, List<Event> into)
    {
        var encoded = new List<EncodedEvent>();
        follower.Poll(encoded);
        foreach (var evt in encoded)
        {
            var decoded = evt.ToEvent();
            Assert.Equal(new SourcePosition(new FileIdentity(decoded.Source.Device, decoded.Source.Inode), decoded.Source.Generation, decoded.Source.Offset), evt.Source);
            into.Add(decoded);
            EncodedEventPool.Return(evt);
        }
    }

    private static AccessLogFollower Follower(string log, string state, PendingOffsets pending, TimeProvider time) =>
        new(new AccessLogTarget([log], LogFormat.Parse("'[$time_local] $status $upstream_addr $upstream_status $upstream_header_time'")),
            state, new TailerSettings { ReadFromStart = true }, pending, time, NullLogger.Instance);

    private static string Line(string time, int status, string addr) =>
        $"[01/May/2024:{time} +0000] {status} {addr} {status} {(status >= 500 ? "-" : "0.001")}";

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
