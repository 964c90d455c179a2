using Fleet502.Agent.Platform;
using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Agent.Tailing;
using Fleet502.Protos.V1;
using Microsoft.Extensions.Logging;

namespace Fleet502.Agent.Sources.PhpFpmLog;

/// <summary>
/// php-fpm's error logs through rotation: a tailer with its own checkpoints, each line parsed and the
/// ones that matter for 502/504 coalesced into <see cref="FpmLog"/> events. Each event pins its first
/// line in <see cref="PendingOffsets"/> until the collector acknowledges it.
/// </summary>
public sealed class PhpFpmLogFollower : IDisposable
{
    private readonly PendingOffsets _pending;
    private readonly CheckpointStore _checkpoints;
    private readonly LogTailer _tailer;
    private readonly FpmLogCoalescer _coalescer;
    private readonly FileLineHandler _onLine;

    public PhpFpmLogFollower(IReadOnlyList<string> patterns, string stateDirectory, TailerSettings settings, TimeSpan coalesceWindow,
        PendingOffsets pending, TimeProvider time, ILogger logger)
    {
        _pending = pending;
        _checkpoints = new CheckpointStore(stateDirectory, time);
        _tailer = new LogTailer(patterns, settings, _checkpoints, time, logger);
        _coalescer = new FpmLogCoalescer(coalesceWindow, time, origin => pending.Add(new FileIdentity(origin.Device, origin.Inode), origin.Generation, origin.Offset));
        _onLine = OnLine;
    }

    public IEnumerable<string> Directories => _tailer.Directories;

    public long Lines { get; private set; }

    /// <summary>Lines that were not php-fpm's (counted and skipped).</summary>
    public long Unparsed { get; private set; }

    /// <summary>Lines sent as (part of) an event.</summary>
    public long Reported { get; private set; }

    /// <summary>Reads what is new and appends the events that are ready; returns the bytes read.</summary>
    public long Poll(List<Event> ready)
    {
        var read = _tailer.Poll(_onLine);
        _coalescer.Drain(ready);
        return read;
    }

    public void SaveCheckpoints() => _checkpoints.Save(_tailer.Checkpoints(_pending.Committed));

    private void OnLine(TailedFile file, ReadOnlySpan<byte> line, long offset, bool truncated)
    {
        Lines++;
        if (!PhpFpmLineParser.TryParse(line, out var parsed))
        {
            Unparsed++;
            return;
        }

        if (_coalescer.Add(parsed, line, new LineOrigin(file.Path, file.Identity.Device, file.Identity.Inode, offset, file.Generation)))
        {
            Reported++;
        }
    }

    public void Dispose() => _tailer.Dispose();
}
