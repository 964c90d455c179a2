using System.Diagnostics;
using System.Text.Json;

namespace Fleet502.EndToEndTests.Harness;

/// <summary>
/// Runs <c>fleet502-agent doctor</c> as a new user would, with no agent config: only the nginx
/// command line (a temp prefix needs <c>-p</c>/<c>-c</c>) and <c>--json</c>. The built agent by
/// default; FLEET502_AGENT_BINARY runs the NativeAOT one instead.
/// </summary>
public static class DoctorRunner
{
    public sealed record Result(int ExitCode, JsonElement Report, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(string nginxCommand, params string[] extra)
    {
        var native = Environment.GetEnvironmentVariable("FLEET502_AGENT_BINARY");
        var info = new ProcessStartInfo(native ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (native is null)
        {
            info.ArgumentList.Add(RepoPaths.AgentDll);
        }

        foreach (var argument in (string[])["doctor", "--json", "--nginx", nginxCommand, .. extra])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"doctor did not finish within 60 s\n{await stderr}");
        }

        var text = await stdout;
        JsonElement report;
        try
        {
            report = JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"doctor --json printed no JSON ({e.Message}):\n{text}\n{await stderr}", e);
        }

        return new Result(process.ExitCode, report, text, await stderr);
    }
}
