using Fleet502.Agent.Platform;
using Fleet502.Agent.Tailing;
using Fleet502.Agent.Shipping;
using Microsoft.Extensions.Logging;

namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>
/// The files of one <see cref="AccessLogTarget"/>: a tailer with its own checkpoints, and one window
/// aggregator per file generation. Each new window pins its period's first-line offset in
/// <see cref="PendingOffsets"/>; the ack of the window's event releases it.
/// </summary>
public sealed class AccessLogFollower : IDisposable
{
    private readonly AccessLogTarget _target;
    private readonly PendingOffsets _pending;
    private readonly TimeProvider _time;
    private readonly CheckpointStore _checkpoints;
    private readonly LogTailer _tailer;
    private readonly Dictionary<(FileIdentity, uint), FileWindows> _files = [];
    private readonly List<(FileIdentity, uint)> _gone = [];
    private readonly FileLineHandler _onLine;
    private FileWindows? _last;

    public AccessLogFollower(AccessLogTarget target, string stateDirectory, TailerSettings settings, PendingOffsets pending, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(target);
        _target = target;
        _pending = pending;
        _time = time;
        _checkpoints = new CheckpointStore(stateDirectory, time);
        _tailer = new LogTailer(target.Patterns, settings, _checkpoints, time, logger);
        _onLine = OnLine;
    }

    public IEnumerable<string> Directories => _tailer.Directories;

    public long Lines { get; private set; }
    public long Malformed { get; private set; }
    public long Truncated { get; private set; }

    /// <summary>Reads what is new (up to the tailer's budget) and appends the events of windows that closed; returns the bytes read.</summary>
    public long Poll(List<EncodedEvent> ready, bool stopping = false)
    {
        ArgumentNullException.ThrowIfNull(ready);
        var read = _tailer.Poll(_onLine);
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        foreach (var (key, windows) in _files)
        {
            if (stopping || !IsLive(key))
            {
                // Rotated away, truncated into a new generation, or stopping: nothing more will come.
                windows.Aggregator.CloseAll();
                _gone.Add(key);
                if (_last == windows)
                {
                    _last = null;
                }
            }
            else
            {
                windows.Aggregator.CloseIdle(now);
            }

            windows.Aggregator.Drain(ready, new AccessFileSource(windows.Path, windows.Identity, windows.Generation));
        }

        foreach (var key in _gone)
        {
            _files.Remove(key);
        }

        _gone.Clear();

        return read;
    }

    /// <summary>While the queue is full: keep new, rotated and truncated files reachable without reading them.</summary>
    public void Track() => _tailer.Track();

    private bool IsLive((FileIdentity Identity, uint Generation) key) => _tailer.IsOpen(key.Identity, key.Generation);

    public void SaveCheckpoints() => _checkpoints.Save(_tailer.Checkpoints(_pending.Committed));

    private void OnLine(TailedFile file, ReadOnlySpan<byte> line, long offset, bool truncated)
    {
        Lines++;
        if (truncated)
        {
            Truncated++;
        }

        var windows = _last;
        if (windows is null || windows.Identity != file.Identity || windows.Generation != file.Generation)
        {
            if (!_files.TryGetValue((file.Identity, file.Generation), out windows))
            {
                windows = NewFileWindows(file);
                _files[(file.Identity, file.Generation)] = windows;
            }

            _last = windows;
        }

        windows.Path = file.Path;
        if (!windows.Aggregator.Add(line, offset))
        {
            Malformed++;
        }
    }

    // Its own method: a lambda in OnLine made the compiler allocate the closure on every line.
    private FileWindows NewFileWindows(TailedFile file)
    {
        var identity = file.Identity;
        var generation = file.Generation;
        return new FileWindows(file.Path, identity, generation,
            new AccessWindowAggregator(_target.Format, first => _pending.Add(identity, generation, first)));
    }

    public void Dispose() => _tailer.Dispose();

    private sealed class FileWindows(string path, FileIdentity identity, uint generation, AccessWindowAggregator aggregator)
    {
        public string Path { get; set; } = path;
        public FileIdentity Identity { get; } = identity;
        public uint Generation { get; } = generation;
        public AccessWindowAggregator Aggregator { get; } = aggregator;
    }
}
