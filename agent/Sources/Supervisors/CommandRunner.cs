using System.ComponentModel;
using System.Diagnostics;

namespace Fleet502.Agent.Sources.Supervisors;

/// <summary>Runs a supervisor's CLI (systemctl, pm2) and returns its stdout, bounded in time.</summary>
public static class CommandRunner
{
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new SupervisorUnavailableException($"{file} did not start");
        }
        catch (Win32Exception e)
        {
            throw new SupervisorUnavailableException($"{file}: {e.Message}", e);
        }

        using (process)
        {
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timer.CancelAfter(timeout);
            var stdout = process.StandardOutput.ReadToEndAsync(timer.Token);
            var stderr = process.StandardError.ReadToEndAsync(timer.Token);
            try
            {
                await process.WaitForExitAsync(timer.Token);
                var output = await stdout;
                if (process.ExitCode != 0 && output.Length == 0)
                {
                    throw new SupervisorUnavailableException($"{file} exited {process.ExitCode}: {(await stderr).Trim()}");
                }

                return output;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                throw new SupervisorUnavailableException($"{file} did not answer within {timeout.TotalSeconds:0.#} s");
            }
        }
    }
}
