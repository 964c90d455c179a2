using Fleet502.Agent.Shipping;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet502.Tests.Agent.Shipping;

/// <summary>The disk spool on real files: recovery in order, torn tails cut, acked segments deleted.</summary>
[Collection(nameof(EncodedEventPool))]
public sealed class SpoolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fleet502-spool-").FullName;

    [Fact]
    public void Events_survive_a_restart_in_order_until_acknowledged()
    {
        using (var spool = NewSpool(segmentBytes: 1024))
        {
            Assert.Empty(spool.Recover());
            spool.Append(Events(1, 40));
            spool.Append(Events(41, 60));
            spool.Sync();
            spool.Acknowledge(30);
        }

        using var restarted = NewSpool(segmentBytes: 1024);
        var recovered = restarted.Recover();

        // Whole segments go only when every event in them is acknowledged, so some acked ones may remain.
        Assert.Equal(60UL, recovered[^1].Seq);
        Assert.True(recovered[0].Seq <= 31);
        Assert.Equal(Enumerable.Range((int)recovered[0].Seq, recovered.Count).Select(i => (ulong)i), recovered.Select(e => e.Seq));
        Assert.Equal("upstream 60", recovered[^1].ToEvent().UpstreamError.Raw);
        Assert.Equal(60UL, recovered[^1].ToEvent().Seq);
    }

    [Fact]
    public void A_torn_tail_is_cut_and_never_replayed_as_garbage()
    {
        using (var spool = NewSpool())
        {
            spool.Recover();
            spool.Append(Events(1, 10));
        }

        var segment = Directory.GetFiles(Path.Combine(_dir, "spool"), "*.seg").Single();
        var length = new FileInfo(segment).Length;
        // kill -9 mid-write: half a record, then garbage.
        using (var stream = new FileStream(segment, FileMode.Open))
        {
            stream.SetLength(length - 7);
            stream.Seek(0, SeekOrigin.End);
            stream.Write([0xde, 0xad, 0xbe, 0xef, 1, 2, 3]);
        }

        using var restarted = NewSpool();
        var recovered = restarted.Recover();

        Assert.Equal(Enumerable.Range(1, 9).Select(i => (ulong)i), recovered.Select(e => e.Seq));
        Assert.Equal(1, restarted.CutRecords);
        restarted.Append(Events(10, 11));
        restarted.Dispose();
        using var again = NewSpool();
        Assert.Equal(Enumerable.Range(1, 11).Select(i => (ulong)i), again.Recover().Select(e => e.Seq));
        Assert.Equal(0, again.CutRecords);
    }

    [Fact]
    public void Acknowledging_everything_leaves_no_segment_and_the_bound_is_reported()
    {
        using var spool = NewSpool(maxBytes: 1024, segmentBytes: 512);
        spool.Recover();
        spool.Append(Events(1, 50));
        Assert.True(spool.IsFull);

        spool.Acknowledge(50);

        Assert.False(spool.IsFull);
        Assert.Equal(0, spool.Bytes);
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "spool")));
    }

    private Spool NewSpool(long maxBytes = 1 << 20, long segmentBytes = 4096) =>
        new(Path.Combine(_dir, "spool"), maxBytes, segmentBytes, NullLogger.Instance);

    private static List<EncodedEvent> Events(int from, int to) =>
        Enumerable.Range(from, to - from + 1).Select(i =>
        {
            var evt = EncodedEvent.From(new Event
            {
                Time = Timestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch.AddSeconds(i)),
                UpstreamError = new UpstreamError { Cause = Cause.BackendDown, Count = 1, Raw = $"upstream {i}" },
            });
            evt.AssignSeq((ulong)i);
            return evt;
        }).ToList();

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
