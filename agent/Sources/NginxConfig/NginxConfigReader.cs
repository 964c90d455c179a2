using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Fleet502.Agent.Configuration;
using Fleet502.Protos.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet502.Agent.Sources.NginxConfig;

/// <summary>
/// Runs <c>nginx -T</c> and keeps the result until nginx reloads: the master pid (pid file) or the
/// mtime of any file -T printed changes. Everyone asking between reloads gets the cached snapshot.
/// </summary>
public sealed partial class NginxConfigReader(IOptions<AgentOptions> options, ILogger<NginxConfigReader> logger)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly SemaphoreSlim _gate = new(1, 1);

    public NginxConfigSnapshot? Current { get; private set; }

    /// <summary>Reads -T again only when the stamp (pid + mtimes) moved; returns null while nginx cannot be read.</summary>
    public async Task<NginxConfigSnapshot?> RefreshAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (Current is { } cached && Stamp(cached.PidFile, cached.Config.Files) == cached.Stamp && cached.Config.Error.Length == 0)
            {
                return cached;
            }

            var nginx = options.Value.Nginx;
            var arguments = new List<string> { "-T" };
            arguments.AddRange(nginx.NginxArguments);
            var binary = nginx.NginxBinary;
            var run = await NginxCommand.RunAsync(binary, arguments, Timeout, cancellationToken);
            var snapshot = Build(binary, run);
            if (snapshot.Config.Error.Length > 0)
            {
                LogUnreadable(binary, snapshot.Config.Error);
            }
            else if (Current?.Config.ConfigHash != snapshot.Config.ConfigHash)
            {
                LogRead(binary, snapshot.Config.Files.Count, snapshot.Config.Upstreams.Count, snapshot.Config.Routes.Count, snapshot.Config.AccessLogs.Count);
            }

            Current = snapshot;
            return snapshot;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Turns one -T run into a snapshot (public for tests on recorded output).</summary>
    public static NginxConfigSnapshot Build(string binary, NginxCommandResult run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.ExitCode != 0 || run.Stdout.Length == 0)
        {
            var error = run.Stderr.Trim();
            return new NginxConfigSnapshot(new ProxyConfig { NginxBinary = binary, Error = error.Length > 0 ? error : $"exit {run.ExitCode}" }, "", "");
        }

        var parsed = ConfigParser.Parse(run.Stdout);
        var config = ProxyConfigExtractor.Extract(parsed);
        config.NginxBinary = binary;
        config.ConfigHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(run.Stdout)));
        var pidFile = parsed.Root.FirstOrDefault(d => d.Name == "pid" && d.Block is null)?.Arg(0) ?? "/run/nginx.pid";
        config.MasterPid = ReadPid(pidFile);
        return new NginxConfigSnapshot(config, pidFile, Stamp(pidFile, config.Files));
    }

    private static string Stamp(string pidFile, IEnumerable<string> files)
    {
        var sb = new StringBuilder();
        sb.Append(ReadPid(pidFile)).Append('|');
        foreach (var file in files)
        {
            sb.Append(File.Exists(file) ? File.GetLastWriteTimeUtc(file).Ticks.ToString(CultureInfo.InvariantCulture) : "-").Append('|');
        }

        return sb.ToString();
    }

    private static int ReadPid(string pidFile)
    {
        try
        {
            return File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) ? pid : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read the nginx configuration with {Binary} -T: {Error}")]
    private partial void LogUnreadable(string binary, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Read the nginx configuration with {Binary} -T: {Files} files, {Upstreams} upstreams, {Routes} *_pass routes, {AccessLogs} access logs")]
    private partial void LogRead(string binary, int files, int upstreams, int routes, int accessLogs);
}
