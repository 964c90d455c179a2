using System.ComponentModel;
using System.Diagnostics;

namespace Fleet502.Agent.Sources.NginxConfig;

/// <summary>Runs the nginx binary (<c>-T</c>, <c>-v</c>) with a time limit, keeping stdout and stderr apart.</summary>
public static class NginxCommand
{
    public static async Task<NginxCommandResult> RunAsync(string binary, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(binary, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (Win32Exception e)
        {
            return new NginxCommandResult(-1, "", $"{binary}: {e.Message}");
        }

        if (process is null)
        {
            return new NginxCommandResult(-1, "", $"{binary} did not start");
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
                return new NginxCommandResult(process.ExitCode, await stdout, await stderr);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                return new NginxCommandResult(-1, "", $"{binary} did not answer within {timeout.TotalSeconds:0.#} s");
            }
        }
    }
}
