namespace Fleet502.Agent.Tailing;

/// <summary>
/// Wakes the tailer when a watched directory changes (inotify through FileSystemWatcher), so new
/// lines are read at once; the tailer's own poll interval is the fallback when inotify is not
/// available (limits reached, network file systems).
/// </summary>
public sealed class ChangeNotifier : IDisposable
{
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly SemaphoreSlim _signal = new(0, 1);

    public ChangeNotifier(IEnumerable<string> directories, Action<string, string>? onFailure = null)
    {
        foreach (var directory in directories)
        {
            try
            {
                var watcher = new FileSystemWatcher(directory)
                {
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.LastWrite,
                    IncludeSubdirectories = false,
                };
                watcher.Changed += (_, _) => Wake();
                watcher.Created += (_, _) => Wake();
                watcher.Renamed += (_, _) => Wake();
                watcher.Deleted += (_, _) => Wake();
                watcher.Error += (_, _) => Wake();
                watcher.EnableRaisingEvents = true;
                _watchers.Add(watcher);
            }
            catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException or PlatformNotSupportedException)
            {
                onFailure?.Invoke(directory, e.Message);
            }
        }
    }

    /// <summary>Directories actually watched.</summary>
    public int Watching => _watchers.Count;

    /// <summary>Waits for a change or <paramref name="timeout"/>, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        try
        {
            await _signal.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void Wake()
    {
        try
        {
            if (_signal.CurrentCount == 0)
            {
                _signal.Release();
            }
        }
        catch (SemaphoreFullException)
        {
        }
    }

    public void Dispose()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _signal.Dispose();
    }
}
