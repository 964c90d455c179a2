using System.Collections.Concurrent;
using System.Diagnostics;

namespace Fleet502.EndToEndTests.Harness;

/// <summary>
/// A real program started by a test: output captured line by line (shown when a test fails),
/// killed with its children on dispose.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly string _name;

    public ChildProcess(string name, string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        _name = name;
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) => Record(e.Data);
        _process.ErrorDataReceived += (_, e) => Record(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public event Action<string>? LineWritten;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => $"--- {_name} ---\n" + string.Join('\n', _output);

    /// <summary>
    /// Waits for the exit and for the last output lines (Process.WaitForExitAsync waits for the end
    /// of redirected output): <see cref="HasExited"/> turns true before the output events have run,
    /// so reading <see cref="Output"/> right after it can miss lines.
    /// </summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Waits for an output line that satisfies <paramref name="match"/>.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string line)
        {
            if (match(line))
            {
                found.TrySetResult(line);
            }
        }

        LineWritten += OnLine;
        try
        {
            foreach (var line in _output)
            {
                OnLine(line);
            }

            var finished = await Task.WhenAny(found.Task, Task.Delay(timeout), _process.WaitForExitAsync());
            if (finished == found.Task)
            {
                return await found.Task;
            }

            // The exit can be seen before the last lines' events: give them a moment, then look again.
            await Task.Delay(300);
            if (_output.FirstOrDefault(match) is { } late)
            {
                return late;
            }

            throw new TimeoutException($"{_name} did not print the expected line within {timeout} (exited: {_process.HasExited})\n{Output}");
        }
        finally
        {
            LineWritten -= OnLine;
        }
    }

    /// <summary>SIGTERM, as systemd stops a service, then waits for the exit.</summary>
    public async Task TerminateAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    /// <summary>SIGKILL (kill -9) of the process and its children: no chance to flush anything.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        LineWritten?.Invoke(line);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
