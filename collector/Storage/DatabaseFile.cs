namespace Fleet502.Collector.Storage;

/// <summary>
/// One of LiteDB's two files (data or journal), opened by the collector so that it decides when the
/// disk is synced. LiteDB 5 queues journal pages to a writer task, which fsyncs every time its queue
/// runs dry, and which mostly runs inline on the committing thread: a group commit of a few hundred
/// pages paid hundreds of fsyncs (about 780 a second at 50,000 events/s). The journal defers those;
/// <see cref="CollectorDatabase"/> waits for the commit's pages to be written and syncs once per
/// transaction, before anything is acked. The data file, written only by checkpoints, still syncs
/// on every flush, since the journal is truncated right after.
/// </summary>
internal sealed class DatabaseFile : Stream
{
    private readonly FileStream _file;
    private readonly bool _deferSync;
    private readonly object _written = new(); // a monitor: commits wait on it for the writer task
    private volatile bool _unsynced;
    private long _writtenEnd;

    public DatabaseFile(string path, bool deferSync)
    {
        // No FileStream buffer: LiteDB writes whole 8 KiB pages, and a write must reach the OS
        // (and so survive kill -9) when LiteDB returns from it. FileShare.Read as LiteDB's own file
        // mode opens it (on Linux an advisory shared lock: it does not keep a second writer out).
        _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
        _deferSync = deferSync;

        // What a previous run left (a journal after kill -9) is written; the first sync covers it.
        _writtenEnd = _file.Length;
        _unsynced = _writtenEnd > 0;
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => true;

    public override long Length => _file.Length;

    public override long Position
    {
        get => _file.Position;
        set => _file.Position = value;
    }

    /// <summary>
    /// Waits until the file is written up to the end whose low 32 bits are <paramref name="endLow32"/>
    /// (LiteDB's writer task may still hold pages a commit queued), then syncs it. Throws if that
    /// takes longer than <paramref name="timeout"/>.
    /// </summary>
    /// <remarks>
    /// LiteDB reports its journal length as an int. The real end is at or past what is written and
    /// less than 4 GiB past it (the unwritten pages of one commit), which makes it unique.
    /// </remarks>
    public void SyncThrough(uint endLow32, TimeSpan timeout)
    {
        lock (_written)
        {
            var end = _writtenEnd + ((endLow32 - _writtenEnd) & uint.MaxValue);
            var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            while (_writtenEnd < end)
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0 || !Monitor.Wait(_written, TimeSpan.FromMilliseconds(left)))
                {
                    throw new IOException($"LiteDB's journal writer wrote {_writtenEnd:N0} of {end:N0} bytes in {timeout.TotalSeconds:N0} s: the commit is not durable");
                }
            }
        }

        Sync();
    }

    /// <summary>Makes every write so far durable (one fsync), if any happened since the last.</summary>
    public void Sync()
    {
        if (_unsynced)
        {
            _unsynced = false;
            _file.Flush(flushToDisk: true);
        }
    }

    /// <summary>LiteDB's "flush to disk" (a stream it did not open only gets Flush()).</summary>
    public override void Flush()
    {
        if (!_deferSync)
        {
            Sync();
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => _file.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => _file.Read(buffer);

    public override long Seek(long offset, SeekOrigin origin) => _file.Seek(offset, origin);

    public override void SetLength(long value)
    {
        lock (_written)
        {
            _unsynced = true;
            _file.SetLength(value);
            _writtenEnd = Math.Min(_writtenEnd, value); // a checkpoint empties the journal
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_written)
        {
            _unsynced = true;
            _file.Write(buffer);
            _writtenEnd = Math.Max(_writtenEnd, _file.Position);
            Monitor.PulseAll(_written);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Sync();
            _file.Dispose();
        }

        base.Dispose(disposing);
    }
}
