using Fleet502.Agent.Platform;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Fleet502.Agent.Tailing;

/// <summary>
/// Follows every file that matches a set of paths and globs (<c>/var/log/nginx/*.log</c>):
/// <list type="bullet">
/// <item>rename + create: the renamed file is read to its end until it has been idle for
/// <see cref="TailerSettings.RotateWait"/> (nginx writes to it until it reopens its logs), while
/// the new file is read from its first byte;</item>
/// <item>copytruncate: a truncated file is read again from 0 as a new generation, after the
/// unread tail is taken from the copy (found by its fingerprint);</item>
/// <item>delete while open: drained through the open handle;</item>
/// <item>compressed rotated files (<c>.gz</c>, ...) are never read;</item>
/// <item>a restart resumes each file at its checkpoint when (device, inode) and the fingerprint
/// still match, so a recycled inode is read as the new file it is.</item>
/// </list>
/// Problems with one path (permission denied, a directory or FIFO in place of a file) are
/// reported once and never stop the other files.
/// </summary>
public sealed partial class LogTailer : IDisposable
{
    private static readonly string[] CompressedSuffixes = [".gz", ".xz", ".bz2", ".zst", ".lz4", ".zip", ".Z"];

    private readonly IReadOnlyList<string> _patterns;
    private readonly TailerSettings _settings;
    private readonly CheckpointStore _checkpoints;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<FileIdentity, TailedFile> _files = [];
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private readonly List<TailedFile> _copyDrains = [];
    private readonly List<TailedFile> _pass = [];
    private readonly bool _firstRun;
    private long _lastDiscovery;
    private bool _discoveredOnce;

    public LogTailer(IReadOnlyList<string> patterns, TailerSettings settings, CheckpointStore checkpoints, TimeProvider time, ILogger logger)
    {
        _patterns = patterns;
        _settings = settings;
        _checkpoints = checkpoints;
        _time = time;
        _logger = logger;
        // Only a host's very first run starts existing files at their end; after that, a file
        // without a checkpoint appeared while the agent was away and is read from its start.
        _firstRun = checkpoints.Checkpoints.Count == 0;
        if (checkpoints.LoadProblem is { } problem)
        {
            LogCheckpointProblem(problem);
        }
    }

    public IReadOnlyCollection<TailedFile> Files => _files.Values;

    /// <summary>True while the file generation is still open (not closed after rotation, not truncated into a new generation).</summary>
    public bool IsOpen(FileIdentity identity, uint generation) =>
        _files.TryGetValue(identity, out var file) && file.Generation == generation;

    /// <summary>Problems reported so far (unreadable paths, non-regular files).</summary>
    public long Problems { get; private set; }

    /// <summary>Directories to watch for changes (inotify), one per pattern.</summary>
    public IEnumerable<string> Directories =>
        _patterns.Select(p => Path.GetDirectoryName(Path.GetFullPath(p)) ?? "/").Distinct(StringComparer.Ordinal);

    /// <summary>Discovers files (at most every <see cref="TailerSettings.DiscoveryInterval"/> unless forced) and reads what is new.</summary>
    /// <returns>Bytes read.</returns>
    public long Poll(FileLineHandler handler, bool forceDiscovery = false)
    {
        var now = _time.GetTimestamp();
        if (forceDiscovery || !_discoveredOnce || _time.GetElapsedTime(_lastDiscovery, now) >= _settings.DiscoveryInterval)
        {
            Discover(now);
            _lastDiscovery = now;
        }

        long total = 0;
        foreach (var copy in _copyDrains)
        {
            using (copy)
            {
                total += copy.Read(handler, long.MaxValue, now);
            }
        }

        _copyDrains.Clear();
        // A reused copy (files may close during the pass): no new list per poll.
        _pass.AddRange(_files.Values);
        try
        {
            foreach (var file in _pass)
            {
                if (file.WasTruncated())
                {
                    total += RecoverTruncated(file, handler, now);
                }

                total += file.Read(handler, _settings.ReadBudgetPerFile, now);
                file.SeenLength = Math.Max(file.SeenLength, file.ReadPosition);
                if (file.Rotated && _time.GetElapsedTime(file.LastDataAt, now) >= _settings.RotateWait)
                {
                    LogClosed(file.Path, file.Offset);
                    _files.Remove(file.Identity);
                    file.Dispose();
                }
            }
        }
        finally
        {
            _pass.Clear();
        }

        return total;
    }

    /// <summary>
    /// While the source cannot hand events on (spool and queue full, so nothing is read): keeps every
    /// file's bytes reachable without reading them, so no rotation during the outage loses a line while
    /// the agent runs. New files are opened (a file created and rotated away before the next read would
    /// otherwise never be seen), renamed and deleted ones stay open, and a copytruncate's copy is opened
    /// as soon as the truncation shows, its unread tail queued to be read first once reading resumes.
    /// </summary>
    public void Track()
    {
        var now = _time.GetTimestamp();
        Discover(now);
        _lastDiscovery = now;
        foreach (var file in _files.Values)
        {
            if (file.WasTruncated())
            {
                var copy = FindCopy(file.Path, file.Identity, file.Fingerprint, file.Offset);
                if (copy is not null)
                {
                    _copyDrains.Add(new TailedFile(file.Path, copy, file.Identity, file.Generation, file.Offset, _settings.MaxLineBytes, now));
                }

                LogTruncated(file.Path, file.Offset, copy is not null);
                CountLost(file, copy is not null);
                file.Restart(_checkpoints.NextGeneration());
            }

            file.SeenLength = Math.Max(file.SeenLength, file.Length);
        }
    }

    /// <summary>Lines (and bytes) that could not be read because rotation removed them first; logged when counted.</summary>
    public long LostLines { get; private set; }

    public long LostBytes { get; private set; }

    /// <summary>
    /// At stop: rotated files that no longer exist under any name can be read only through the handles
    /// held now; a restart cannot find them. Their unread lines are counted as lost (and logged), so an
    /// outage that outlasts the spool and a restart never drops lines silently. Returns the lines.
    /// </summary>
    public long CountUnreadInDeletedFiles()
    {
        long lines = 0;
        foreach (var file in _files.Values)
        {
            if (!file.Rotated || ExistsNextTo(file))
            {
                continue;
            }

            var (unreadLines, unreadBytes) = file.CountUnread();
            if (unreadBytes > 0)
            {
                LostLines += unreadLines;
                LostBytes += unreadBytes;
                lines += unreadLines;
                LogLostAtStop(file.Path, unreadLines, unreadBytes);
            }
        }

        return lines;
    }

    /// <summary>Checkpoints of every open file, at the offset <paramref name="committed"/> says is safe.</summary>
    public IEnumerable<Checkpoint> Checkpoints(Func<TailedFile, long> committed) =>
        _files.Values.Select(f => new Checkpoint(f.Path, f.Identity.Device, f.Identity.Inode, f.Generation,
            f.Fingerprint.Length, f.Fingerprint.Hash, Math.Min(f.Offset, committed(f))));

    private void Discover(long now)
    {
        var seen = new HashSet<FileIdentity>();
        foreach (var path in ExpandPatterns())
        {
            if (!FileIdentity.Stat(path, out var identity, out var regular))
            {
                continue;
            }

            if (!regular)
            {
                ReportOnce(path, "is not a regular file (directory, FIFO, socket or device); skipped");
                continue;
            }

            seen.Add(identity);
            if (_files.TryGetValue(identity, out var known))
            {
                known.Path = path;
                known.Rotated = false;
                continue;
            }

            Open(path, identity, now);
        }

        if (!_discoveredOnce)
        {
            ResumeRotatedSinceLastRun(now);
        }

        foreach (var file in _files.Values)
        {
            if (!seen.Contains(file.Identity) && !file.Rotated)
            {
                // Renamed out of the patterns or deleted: keep reading through the open handle until idle.
                file.Rotated = true;
                LogRotated(file.Path, file.Offset);
            }
        }

        _discoveredOnce = true;
    }

    private void Open(string path, FileIdentity identity, long now)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ReportOnce(path, e.Message);
            return;
        }

        _reported.Remove(path);
        var length = RandomAccess.GetLength(handle);
        long offset;
        uint generation;
        string how;
        if (_checkpoints.Find(identity, handle) is { } checkpoint)
        {
            offset = Math.Min(checkpoint.Offset, length);
            generation = checkpoint.Generation;
            how = "checkpoint";
        }
        else if (!_discoveredOnce && _checkpoints.Checkpoints.FirstOrDefault(c => c.Device == identity.Device && c.Inode == identity.Inode) is { } truncated)
        {
            // Same file, other first bytes: truncated (copytruncate) while the agent was away.
            // Its unread tail is in the copy, if the copy is still there.
            DrainCopyOf(truncated, path, identity, now);
            offset = 0;
            generation = _checkpoints.NextGeneration();
            how = "start (truncated while stopped)";
        }
        else if (IsCopyOfOpenFile(identity, handle))
        {
            // A copy made by copytruncate inside the patterns: its lines are read through the original.
            offset = length;
            generation = _checkpoints.NextGeneration();
            how = "copy of a followed file, skipped";
        }
        else if (_firstRun && !_discoveredOnce && !_settings.ReadFromStart)
        {
            // First start without a checkpoint: old history is not news.
            offset = length;
            generation = _checkpoints.NextGeneration();
            how = "end";
        }
        else
        {
            offset = 0;
            generation = _checkpoints.NextGeneration();
            how = "start";
        }

        _files[identity] = new TailedFile(path, handle, identity, generation, offset, _settings.MaxLineBytes, now);
        LogOpened(path, identity.ToString(), offset, how);
    }

    /// <summary>
    /// Files renamed out of the patterns while the agent was stopped still hold unread lines:
    /// find them by (device, inode) and fingerprint next to their old path and drain them.
    /// </summary>
    private void ResumeRotatedSinceLastRun(long now)
    {
        foreach (var checkpoint in _checkpoints.Checkpoints)
        {
            var identity = new FileIdentity(checkpoint.Device, checkpoint.Inode);
            if (_files.ContainsKey(identity) || Path.GetDirectoryName(checkpoint.Path) is not { } directory || !Directory.Exists(directory))
            {
                continue;
            }

            foreach (var candidate in Directory.EnumerateFiles(directory))
            {
                if (IsCompressed(candidate) || !FileIdentity.Stat(candidate, out var id, out var regular) || !regular || id != identity)
                {
                    continue;
                }

                try
                {
                    var handle = File.OpenHandle(candidate, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    if (!new FileFingerprint(checkpoint.FingerprintLength, checkpoint.FingerprintHash).Matches(handle))
                    {
                        handle.Dispose();
                        continue;
                    }

                    var offset = Math.Min(checkpoint.Offset, RandomAccess.GetLength(handle));
                    _files[identity] = new TailedFile(candidate, handle, identity, checkpoint.Generation, offset, _settings.MaxLineBytes, now) { Rotated = true };
                    LogOpened(candidate, identity.ToString(), offset, "rotated while stopped");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    ReportOnce(candidate, e.Message);
                }

                break;
            }
        }
    }

    private void DrainCopyOf(Checkpoint checkpoint, string path, FileIdentity identity, long now)
    {
        var fingerprint = new FileFingerprint(checkpoint.FingerprintLength, checkpoint.FingerprintHash);
        if (FindCopy(path, identity, fingerprint, checkpoint.Offset) is { } copy)
        {
            // The copy's lines keep the coordinates (identity, generation, offset) they had in the original.
            _copyDrains.Add(new TailedFile(path, copy, identity, checkpoint.Generation, checkpoint.Offset, _settings.MaxLineBytes, now));
        }
    }

    private bool IsCopyOfOpenFile(FileIdentity identity, SafeFileHandle handle) =>
        _files.Values.Any(f => f.Identity != identity && f.Fingerprint.Length > 0 && f.Fingerprint.Matches(handle));

    private long RecoverTruncated(TailedFile file, FileLineHandler handler, long now)
    {
        long total = 0;
        var copy = FindCopy(file.Path, file.Identity, file.Fingerprint, file.Offset);
        if (copy is not null)
        {
            // The copy holds, at the same offsets, whatever we had not read before the truncation.
            using var tail = new TailedFile(file.Path, copy, file.Identity, file.Generation, file.Offset, _settings.MaxLineBytes, now);
            total = tail.Read(handler, long.MaxValue, now);
        }

        LogTruncated(file.Path, file.Offset, copy is not null);
        CountLost(file, copy is not null);
        file.Restart(_checkpoints.NextGeneration());
        return total;
    }

    // Truncated in place with no copy left (copytruncate + compress, or a plain truncate): what was
    // seen past the read offset is gone. Bytes are known; lines only as far as they were never read.
    private void CountLost(TailedFile file, bool fromCopy)
    {
        var lost = fromCopy ? 0 : file.SeenLength - file.Offset;
        if (lost > 0)
        {
            LostBytes += lost;
            LogLostToTruncation(file.Path, file.Offset, lost);
        }
    }

    private static bool ExistsNextTo(TailedFile file)
    {
        var directory = Path.GetDirectoryName(file.Path);
        if (directory is null || !Directory.Exists(directory))
        {
            return false;
        }

        foreach (var candidate in Directory.EnumerateFiles(directory))
        {
            if (FileIdentity.Stat(candidate, out var id, out _) && id == file.Identity)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A file next to <paramref name="path"/> that starts with the same bytes and is long enough: logrotate's copy.</summary>
    private static SafeFileHandle? FindCopy(string path, FileIdentity original, FileFingerprint fingerprint, long offset)
    {
        var directory = Path.GetDirectoryName(path);
        if (fingerprint.Length == 0 || directory is null || !Directory.Exists(directory))
        {
            return null;
        }

        foreach (var candidate in Directory.EnumerateFiles(directory))
        {
            if (IsCompressed(candidate) || !FileIdentity.Stat(candidate, out var id, out var regular) || !regular || id == original)
            {
                continue;
            }

            try
            {
                var handle = File.OpenHandle(candidate, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                if (RandomAccess.GetLength(handle) >= offset && fingerprint.Matches(handle))
                {
                    return handle;
                }

                handle.Dispose();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }

        return null;
    }

    private IEnumerable<string> ExpandPatterns()
    {
        foreach (var pattern in _patterns)
        {
            var full = Path.GetFullPath(pattern);
            var directory = Path.GetDirectoryName(full) ?? "/";
            var name = Path.GetFileName(full);
            if (name.IndexOfAny(['*', '?']) < 0)
            {
                yield return full;
                continue;
            }

            IEnumerable<string> matches;
            try
            {
                matches = Directory.Exists(directory)
                    ? Directory.EnumerateFiles(directory, name, new EnumerationOptions { MatchType = MatchType.Simple, IgnoreInaccessible = true }).ToList()
                    : [];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                ReportOnce(directory, e.Message);
                continue;
            }

            foreach (var match in matches)
            {
                if (!IsCompressed(match))
                {
                    yield return match;
                }
            }
        }
    }

    private static bool IsCompressed(string path) => CompressedSuffixes.Any(s => path.EndsWith(s, StringComparison.Ordinal));

    private void ReportOnce(string path, string problem)
    {
        if (_reported.Add(path))
        {
            Problems++;
            LogProblem(path, problem);
        }
    }

    public void Dispose()
    {
        foreach (var file in _files.Values)
        {
            file.Dispose();
        }

        _files.Clear();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Following {Path} ({Identity}) from offset {Offset} ({How})")]
    private partial void LogOpened(string path, string identity, long offset, string how);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Path} was rotated or deleted at offset {Offset}; reading it to its end")]
    private partial void LogRotated(string path, long offset);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed rotated file {Path} after it stayed idle, at offset {Offset}")]
    private partial void LogClosed(string path, long offset);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Path} was truncated at offset {Offset} (copytruncate); unread tail taken from the copy: {FromCopy}")]
    private partial void LogTruncated(string path, long offset, bool fromCopy);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path} was truncated at read offset {Offset} and no copy holds the rest: {Bytes} bytes seen but not read are lost")]
    private partial void LogLostToTruncation(string path, long offset, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropping {Lines} unread lines ({Bytes} bytes) of {Path}: rotation deleted it while events could not be shipped (spool full), and a restart cannot find it")]
    private partial void LogLostAtStop(string path, long lines, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot follow {Path}: {Problem}")]
    private partial void LogProblem(string path, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checkpoints: {Problem}")]
    private partial void LogCheckpointProblem(string problem);
}
