using Fleet502.Collector.Storage;
using Fleet502.Tests.Collector.Infrastructure;

namespace Fleet502.Tests.Collector.Storage;

public sealed class DatabaseFileTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task SyncThrough_waits_for_a_page_another_thread_writes_later_and_unwraps_an_end_past_4_GiB()
    {
        // A sparse journal past 4 GiB: LiteDB reports its length as an int, i.e. the low 32 bits.
        using var journal = new DatabaseFile(_dir.File("big-log.db"), deferSync: true);
        var page = new byte[8192];
        const long at = (5L << 30) + 8192;
        journal.Position = at;
        journal.Write(page);
        journal.SyncThrough((uint)(at + page.Length), Timeout); // written already: returns

        var end = at + 2 * page.Length;
        var sync = Task.Run(() => journal.SyncThrough((uint)end, Timeout));
        await Task.Delay(200);
        Assert.False(sync.IsCompleted, "the commit's last page is not written yet");

        journal.Write(page); // LiteDB's writer task, late
        await sync.WaitAsync(Timeout);
        Assert.Equal(end, new FileInfo(_dir.File("big-log.db")).Length);
    }

    [Fact]
    public void SyncThrough_fails_clearly_when_the_pages_never_come()
    {
        using var journal = new DatabaseFile(_dir.File("stalled-log.db"), deferSync: true);
        var error = Assert.Throws<IOException>(() => journal.SyncThrough(8192, TimeSpan.FromMilliseconds(200)));
        Assert.Contains("not durable", error.Message, StringComparison.Ordinal);
    }
}
