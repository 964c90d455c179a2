using System.CommandLine;
using System.Globalization;
using Fleet502.Agent.Configuration;
using Fleet502.Agent.Diagnosis;
using Microsoft.Extensions.Configuration;

namespace Fleet502.Agent.Commands;

/// <summary>
/// <c>fleet502-agent doctor</c>: every check of the agent, once, on this host, diagnosed with the
/// collector's rules; no collector needed. Progress goes to stderr, the report to stdout (text, or
/// <c>--json</c>). Exit code 0 healthy, 1 problems found, 2 could not check.
/// </summary>
public static class DoctorCommand
{
    public static readonly TimeSpan DefaultSince = TimeSpan.FromMinutes(15);

    public static Command Create(Option<string?> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errorLogs = new Option<string[]>("--error-log") { Description = "nginx error log to read (repeatable; default: the error_log files nginx -T names)" };
        var accessLogs = new Option<string[]>("--access-log") { Description = "nginx access log to read (repeatable; default: the access_log files nginx -T names)" };
        var nginx = new Option<string?>("--nginx")
        {
            Description = "the nginx command to ask for its configuration, with arguments if needed: \"/usr/sbin/nginx -c /etc/nginx/nginx.conf\" (default: nginx)",
        };
        var since = new Option<string>("--since") { Description = "how far back log lines count: 90s, 15m, 2h or 00:15:00 (default 15m)", DefaultValueFactory = _ => "15m" };
        var json = new Option<bool>("--json") { Description = "print the report as one JSON object" };
        var urls = new Option<string[]>("--url")
        {
            Description = "a public URL served through a CDN (Cloudflare) in front of this origin: requested through the CDN and directly, to tell a CDN that cannot reach a healthy origin (repeatable)",
        };
        var origin = new Option<string?>("--origin") { Description = "host:port where the CDN reaches this origin (default: nginx's listen address for the URL's host)" };
        var command = new Command("doctor", "Check this host once (nginx config and logs, listeners, sockets, supervisors, PHP-FPM, OOM kills) and say what is wrong with each upstream and how to fix it")
        {
            errorLogs,
            accessLogs,
            nginx,
            since,
            json,
            urls,
            origin,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (!TryParseSince(parse.GetValue(since), out var window))
            {
                await Console.Error.WriteLineAsync($"fleet502-agent doctor: --since {parse.GetValue(since)}: expected 90s, 15m, 2h or 00:15:00");
                return DoctorReport.CouldNotCheck;
            }

            AgentOptions options;
            try
            {
                options = LoadOptions(parse.GetValue(config));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException or InvalidOperationException)
            {
                await Console.Error.WriteLineAsync($"fleet502-agent doctor: cannot read the agent configuration: {e.Message}");
                return DoctorReport.CouldNotCheck;
            }

            var probes = new List<Uri>();
            foreach (var text in parse.GetValue(urls) ?? [])
            {
                if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                {
                    await Console.Error.WriteLineAsync($"fleet502-agent doctor: --url {text}: expected an absolute http:// or https:// URL");
                    return DoctorReport.CouldNotCheck;
                }

                probes.Add(url);
            }

            var (binary, arguments) = NginxCommandLine(parse.GetValue(nginx), options.Nginx);
            var settings = new DoctorSettings(
                parse.GetValue(errorLogs) is { Length: > 0 } e1 ? e1 : options.Nginx.ErrorLogs,
                parse.GetValue(accessLogs) is { Length: > 0 } a1 ? a1 : options.Nginx.AccessLogs,
                binary,
                arguments,
                window)
            {
                Urls = probes,
                Origin = parse.GetValue(origin),
            };
            await using var stdout = Console.OpenStandardOutput();
            return await RunAsync(settings, options, parse.GetValue(json), stdout, Console.Error, TimeProvider.System, ct);
        });
        return command;
    }

    /// <summary>Scans, diagnoses and prints; returns the exit code.</summary>
    public static async Task<int> RunAsync(DoctorSettings settings, AgentOptions options, bool json, Stream output, TextWriter progress, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var scanner = new LocalHostScanner(settings, options, time)
        {
            Starting = (step, what) => progress.WriteLine(DoctorTextWriter.Progress(step, what)),
            Finished = check => progress.WriteLine(DoctorTextWriter.Result(check)),
        };
        var scan = await scanner.ScanAsync(cancellationToken);
        var report = DoctorDiagnosis.Diagnose(scan, settings.Since);
        await progress.FlushAsync(cancellationToken);
        if (json)
        {
            DoctorJsonWriter.Write(report, output);
            output.WriteByte((byte)'\n');
        }
        else
        {
            await using var text = new StreamWriter(output, leaveOpen: true);
            DoctorTextWriter.Write(report, text);
        }

        await output.FlushAsync(cancellationToken);
        return report.ExitCode;
    }

    /// <summary>"15m", "90s", "2h", "1d" or a TimeSpan ("00:15:00"); positive only.</summary>
    public static bool TryParseSince(string? text, out TimeSpan since)
    {
        since = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        var unit = text[^1];
        if (char.IsAsciiLetter(unit) && double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            since = char.ToLowerInvariant(unit) switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => TimeSpan.Zero,
            };
            return since > TimeSpan.Zero;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out since) && since > TimeSpan.Zero;
    }

    // The agent's own config when there is one (supervisord socket, PHP-FPM pools, nginx binary), never required.
    private static AgentOptions LoadOptions(string? path)
    {
        var explicitPath = !string.IsNullOrEmpty(path);
        var full = Path.GetFullPath(explicitPath ? path! : AgentCommandLine.DefaultConfigPath);
        if (explicitPath && !File.Exists(full))
        {
            throw new FileNotFoundException($"{full} does not exist");
        }

        var configuration = new ConfigurationBuilder()
            .AddJsonFile(full, optional: !explicitPath, reloadOnChange: false)
            .AddEnvironmentVariables(AgentHost.EnvironmentPrefix)
            .Build();
        var options = new AgentOptions();
        configuration.Bind(options);
        return options;
    }

    private static (string Binary, IReadOnlyList<string> Arguments) NginxCommandLine(string? command, NginxOptions configured)
    {
        if (string.IsNullOrWhiteSpace(command))
        {
            return (configured.NginxBinary, configured.NginxArguments);
        }

        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return (words[0], words[1..]);
    }
}
