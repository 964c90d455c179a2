using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fleet502.EndToEndTests.Harness;

namespace Fleet502.EndToEndTests.Packaging;

/// <summary>
/// The shipped systemd units, checked with systemd's own tools (systemd-analyze verify and
/// security --offline) plus the hardening choices that must not regress.
/// </summary>
public sealed partial class UnitFileTests
{
    private const double MaxExposure = 2.0;

    private static string Packaging => Path.Combine(RepoPaths.Root, "packaging");

    private static string Unit(string name) => Path.Combine(Packaging, "systemd", name + ".service");

    [SystemdAnalyzeFact]
    public async Task Systemd_analyze_verify_accepts_both_units()
    {
        // verify also checks that ExecStart exists, so the units go into a scratch root with stub
        // binaries and the distribution's targets (sysinit.target, multi-user.target, ...).
        using var dir = new TempDir("pkg-verify");
        var unitDir = Directory.CreateDirectory(Path.Combine(dir.Path, "usr", "lib", "systemd", "system")).FullName;
        foreach (var target in Directory.EnumerateFiles(SystemUnitDirectory(), "*.target"))
        {
            try
            {
                // File.Copy follows symlinks (several targets are aliases).
                File.Copy(target, Path.Combine(unitDir, Path.GetFileName(target)));
            }
            catch (FileNotFoundException)
            {
                // A dangling alias: not needed.
            }
        }

        var bin = Directory.CreateDirectory(Path.Combine(dir.Path, "usr", "bin")).FullName;
        foreach (var name in new[] { "fleet502-agent", "fleet502-collector" })
        {
            File.Copy(Unit(name), Path.Combine(unitDir, name + ".service"));
            var stub = Path.Combine(bin, name);
            await File.WriteAllTextAsync(stub, "#!/bin/sh\nexit 0\n");
            File.SetUnixFileMode(stub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute | UnixFileMode.OtherRead);
        }

        var (code, output) = await RunAsync("systemd-analyze", "verify", "--man=no", $"--root={dir.Path}", "fleet502-agent.service", "fleet502-collector.service");
        Assert.True(code == 0, $"systemd-analyze verify failed ({code}):\n{output}");
        Assert.DoesNotContain("fleet502", output, StringComparison.Ordinal);
    }

    [SystemdAnalyzeTheory]
    [InlineData("fleet502-agent")]
    [InlineData("fleet502-collector")]
    public async Task Systemd_analyze_security_rates_the_unit_at_most_2_0(string name)
    {
        var (code, output) = await RunAsync("systemd-analyze", "security", "--offline=yes", "--no-pager", Unit(name));
        Assert.True(code == 0, $"systemd-analyze security failed ({code}):\n{output}");
        var match = ExposureLine().Match(output);
        Assert.True(match.Success, "no overall exposure line:\n" + output);
        var score = double.Parse(match.Groups["score"].Value, CultureInfo.InvariantCulture);
        Console.WriteLine($"[packaging] {name}.service exposure {score}");
        Assert.True(score <= MaxExposure, $"{name}.service exposure {score} > {MaxExposure}:\n{output}");
    }

    [Fact]
    public void Both_units_are_Type_notify_with_a_sysusers_user_and_the_agent_alone_denies_WX_memory()
    {
        var agent = Directives(Unit("fleet502-agent"));
        var collector = Directives(Unit("fleet502-collector"));

        foreach (var (name, unit) in new[] { ("fleet502-agent", agent), ("fleet502-collector", collector) })
        {
            Assert.Equal(["notify"], unit["Type"]);
            Assert.Equal([name], unit["User"]);
            Assert.Equal([name], unit["StateDirectory"]);
            Assert.Equal(["strict"], unit["ProtectSystem"]);
            Assert.Equal(["yes"], unit["NoNewPrivileges"]);
            Assert.Equal([""], unit["CapabilityBoundingSet"]);
            Assert.Contains("@system-service", unit["SystemCallFilter"]);
            Assert.Contains("AF_UNIX", unit["RestrictAddressFamilies"].Single().Split(' '));
            var sysusers = File.ReadAllText(Path.Combine(Packaging, "sysusers", name + ".conf"));
            Assert.Matches(new Regex($@"^u {Regex.Escape(name)} ", RegexOptions.Multiline), sysusers);
        }

        // NativeAOT agent: no W+X memory; the JIT collector would crash with it.
        Assert.Equal(["yes"], agent["MemoryDenyWriteExecute"]);
        Assert.False(collector.ContainsKey("MemoryDenyWriteExecute"), "the JIT collector must not set MemoryDenyWriteExecute");

        // The agent reads nginx logs (group adm), other processes' /proc and unix sockets.
        Assert.Equal(["adm"], agent["SupplementaryGroups"]);
        Assert.False(agent.ContainsKey("ProtectProc"), "ProtectProc would hide other processes' /proc from the agent");
        Assert.False(agent.ContainsKey("ProcSubset"), "ProcSubset=pid would hide /proc/net from the agent");
    }

    [Fact]
    public void Default_configs_are_valid_json_with_CHANGE_ME_placeholders()
    {
        using var agent = JsonDocument.Parse(File.ReadAllText(Path.Combine(Packaging, "config", "agent.json")));
        Assert.Equal("CHANGE-ME", agent.RootElement.GetProperty("Collector").GetProperty("Token").GetString());
        Assert.StartsWith("http://", agent.RootElement.GetProperty("Collector").GetProperty("Url").GetString(), StringComparison.Ordinal);
        Assert.Equal("/var/lib/fleet502-agent", agent.RootElement.GetProperty("StateDirectory").GetString());

        using var collector = JsonDocument.Parse(File.ReadAllText(Path.Combine(Packaging, "config", "collector.json")));
        var auth = collector.RootElement.GetProperty("Auth");
        // Shorter than the collector's 16-character minimum: it refuses to start until they are replaced.
        Assert.Equal(["CHANGE-ME"], auth.GetProperty("AgentTokens").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(["CHANGE-ME"], auth.GetProperty("ApiTokens").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("127.0.0.1:7400", collector.RootElement.GetProperty("Listen").GetProperty("Grpc").GetString());
        Assert.Equal("127.0.0.1:7401", collector.RootElement.GetProperty("Listen").GetProperty("Http").GetString());
        Assert.StartsWith("/var/lib/fleet502-collector/", collector.RootElement.GetProperty("Storage").GetProperty("Path").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Maintainer_script_templates_are_valid_posix_sh()
    {
        foreach (var script in new[] { "postinst", "prerm", "postrm" })
        {
            var path = Path.Combine(Packaging, "debian", script + ".in");
            var (code, output) = await RunAsync("sh", "-n", path);
            Assert.True(code == 0, $"{script}.in: {output}");
        }
    }

    /// <summary>Key → values of a unit file's [Service] section (repeated keys keep every value).</summary>
    private static Dictionary<string, List<string>> Directives(string path)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var inService = false;
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line.StartsWith('['))
            {
                inService = line == "[Service]";
                continue;
            }

            if (!inService || line.Length == 0 || line.StartsWith('#') || line.StartsWith(';'))
            {
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            var key = line[..eq];
            if (!result.TryGetValue(key, out var values))
            {
                result[key] = values = [];
            }

            values.Add(line[(eq + 1)..]);
        }

        return result;
    }

    private static string SystemUnitDirectory() =>
        Directory.Exists("/usr/lib/systemd/system") ? "/usr/lib/systemd/system" : "/lib/systemd/system";

    private static async Task<(int Code, string Output)> RunAsync(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["SYSTEMD_COLORS"] = "0";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"Overall exposure level for \S+: (?<score>\d+(\.\d+)?)")]
    private static partial Regex ExposureLine();
}

/// <summary>A fact that is skipped only when systemd-analyze is not installed at all.</summary>
public sealed class SystemdAnalyzeFactAttribute : FactAttribute
{
    public SystemdAnalyzeFactAttribute()
    {
        if (!SystemdAnalyze.IsInstalled)
        {
            Skip = "systemd-analyze is not installed (apt-get install systemd)";
        }
    }
}

/// <summary>A theory that is skipped only when systemd-analyze is not installed at all.</summary>
public sealed class SystemdAnalyzeTheoryAttribute : TheoryAttribute
{
    public SystemdAnalyzeTheoryAttribute()
    {
        if (!SystemdAnalyze.IsInstalled)
        {
            Skip = "systemd-analyze is not installed (apt-get install systemd)";
        }
    }
}

internal static class SystemdAnalyze
{
    public static bool IsInstalled { get; } =
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, "systemd-analyze")));
}
