using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Fleet502.Agent.Commands;
using Fleet502.Agent.Diagnosis;
using Fleet502.Diagnosis;
using Fleet502.Protos.V1;
using Fleet502.Tests.Collector.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Fleet502.Tests.Agent.Commands;

/// <summary>
/// doctor's diagnosis, output and exit codes from a real error log file and a given host state: the
/// scan itself (nginx -T, /proc) is exercised end to end in the e2e project.
/// </summary>
public sealed class DoctorReportTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 10, 30, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(Now);

    [Fact]
    public void RecentErrors_FoldsPerCauseAndTarget_AndSkipsLinesOlderThanSince()
    {
        var log = WriteLog(
            Refused(Now.AddMinutes(-40), 3000), // older than --since
            Refused(Now.AddMinutes(-5), 3000),
            Refused(Now.AddMinutes(-1), 3000),
            Refused(Now.AddMinutes(-1), 4000),
            "this is not an nginx line");
        var errors = new RecentErrors(_time);

        errors.Read(log, TimeSpan.FromMinutes(15), 1 << 20);

        var events = errors.Events();
        Assert.Equal(2, events.Count);
        var toA = Assert.Single(events, e => e.UpstreamError.Target.Address == "127.0.0.1:3000");
        Assert.Equal(2u, toA.UpstreamError.Count);
        Assert.Equal(Now.AddMinutes(-5), toA.UpstreamError.FirstTime.ToDateTimeOffset());
        Assert.Equal(Now.AddMinutes(-1), toA.UpstreamError.LastTime.ToDateTimeOffset());
    }

    [Fact]
    public void Diagnose_RefusedPortWithNothingListening_IsBackendDown_ExitsOne_AndSaysTheFix()
    {
        var scan = Scan([Refused(Now.AddMinutes(-1), 3000), Refused(Now.AddSeconds(-30), 3000)], Listening(("0.0.0.0", 22, "sshd")));

        var report = DoctorDiagnosis.Diagnose(scan, TimeSpan.FromMinutes(15));

        Assert.Equal(DoctorReport.ProblemsFound, report.ExitCode);
        var problem = Assert.Single(report.Problems);
        Assert.Equal("backend_down", problem.CauseName);
        var text = Text(report);
        Assert.Contains("[problem] 127.0.0.1:3000: backend_down (tier app, confidence 0.95)", text, StringComparison.Ordinal);
        Assert.Contains("2 failed requests answered 502", text, StringComparison.Ordinal);
        Assert.Contains("connect() failed (111: Connection refused)", text, StringComparison.Ordinal);
        Assert.Contains("web-1: nothing listens on 127.0.0.1:3000", text, StringComparison.Ordinal);
        Assert.EndsWith("Verdict: 1 problem: backend_down toward 127.0.0.1:3000. Fix: start the service that should listen on 127.0.0.1:3000 on web-1, or fix proxy_pass to the address it listens on" + Environment.NewLine, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Diagnose_TargetListeningAgainNow_IsRecovered_AndHealthyExitsZero()
    {
        var scan = Scan([Refused(Now.AddMinutes(-3), 3000)], Listening(("127.0.0.1", 3000, "node")));

        var report = DoctorDiagnosis.Diagnose(scan, TimeSpan.FromMinutes(15));

        Assert.Equal(DoctorReport.Healthy, report.ExitCode);
        Assert.StartsWith("healthy now: 1 upstream failed in the last 15 min but is back", report.Verdict, StringComparison.Ordinal);
        Assert.Contains("[recovered] 127.0.0.1:3000: backend_down", Text(report), StringComparison.Ordinal);
    }

    [Fact]
    public void Diagnose_RouteToAPortNothingListensOn_IsAProblemBeforeAnyRequestFails()
    {
        var config = new ProxyConfig();
        config.Routes.Add(new ProxyRoute { Module = "proxy", Target = "http://127.0.0.1:3000/", Location = "location /", File = "/etc/nginx/nginx.conf", Line = 12 });
        var scan = Scan([], Listening(("0.0.0.0", 22, "sshd"))) is var s ? s with { Host = s.Host with { ProxyConfig = new Timed<ProxyConfig>(Now, config) } } : null!;

        var report = DoctorDiagnosis.Diagnose(scan, TimeSpan.FromMinutes(15));

        var problem = Assert.Single(report.Problems);
        Assert.False(problem.FromLogs);
        Assert.Equal("backend_down", problem.CauseName);
        Assert.Contains("no failed request in the logs yet; /etc/nginx/nginx.conf:12: proxy_pass http://127.0.0.1:3000/", Text(report), StringComparison.Ordinal);
    }

    [Fact]
    public void ExitCode_IsTwo_WhenNoErrorLogCouldBeRead_AndNothingWasFound()
    {
        var checks = new List<DoctorCheck> { new("error log /var/log/nginx/error.log", CheckStatus.Failed, "Permission denied", Essential: true) };
        var scan = new LocalScan(Host(Listening()), [], [], checks);

        var report = DoctorDiagnosis.Diagnose(scan, TimeSpan.FromMinutes(15));

        Assert.Equal(DoctorReport.CouldNotCheck, report.ExitCode);
        Assert.Contains("could not check: no nginx error log could be read (error log /var/log/nginx/error.log: Permission denied)", report.Verdict, StringComparison.Ordinal);
        Assert.Contains("Could not check:\n  - error log /var/log/nginx/error.log: Permission denied".ReplaceLineEndings(), Text(report), StringComparison.Ordinal);
    }

    [Fact]
    public void Json_CarriesTheCauseTierFixEvidenceAndExitCode()
    {
        var report = DoctorDiagnosis.Diagnose(Scan([Refused(Now.AddMinutes(-1), 3000)], Listening()), TimeSpan.FromMinutes(15));
        using var output = new MemoryStream();

        DoctorJsonWriter.Write(report, output);

        using var json = JsonDocument.Parse(output.ToArray());
        var root = json.RootElement;
        Assert.Equal("problems", root.GetProperty("status").GetString());
        Assert.Equal(1, root.GetProperty("exit_code").GetInt32());
        var problem = root.GetProperty("problems")[0];
        Assert.Equal("backend_down", problem.GetProperty("cause").GetString());
        Assert.Equal("127.0.0.1:3000", problem.GetProperty("target").GetString());
        Assert.Equal("app", problem.GetProperty("tier").GetString());
        Assert.Equal(1, problem.GetProperty("error_count").GetInt32());
        Assert.Contains("nothing listens on 127.0.0.1:3000", problem.GetProperty("evidence")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("ok", root.GetProperty("checks")[0].GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("15m", 900)]
    [InlineData("2h", 7200)]
    [InlineData("00:05:00", 300)]
    public void TryParseSince_ReadsUnitsAndTimeSpans(string text, int seconds)
    {
        Assert.True(DoctorCommand.TryParseSince(text, out var since));
        Assert.Equal(TimeSpan.FromSeconds(seconds), since);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5m")]
    [InlineData("5x")]
    public void TryParseSince_RefusesAnythingElse(string text) => Assert.False(DoctorCommand.TryParseSince(text, out _));

    public void Dispose() => _dir.Dispose();

    private LocalScan Scan(string[] lines, ListenerSnapshot listeners)
    {
        var errors = new RecentErrors(_time);
        errors.Read(WriteLog(lines), TimeSpan.FromMinutes(15), 1 << 20);
        return new LocalScan(Host(listeners), errors.Events(), [], [new DoctorCheck("error log", CheckStatus.Ok, "read", Essential: true)]);
    }

    private static Fleet502.Diagnosis.HostState Host(ListenerSnapshot listeners) =>
        new("web-1", "web-1", new HashSet<IPAddress>(), listeners, Now);

    private static ListenerSnapshot Listening(params (string Address, uint Port, string Process)[] tcp)
    {
        var snapshot = new ListenerSnapshot();
        snapshot.Listeners.AddRange(tcp.Select(l => new Listener { Transport = Transport.Tcp4, Address = l.Address, Port = l.Port, Pid = 700, Process = l.Process }));
        return snapshot;
    }

    private string WriteLog(params string[] lines)
    {
        var path = _dir.File($"error-{Guid.NewGuid():N}.log");
        File.WriteAllText(path, string.Concat(lines.Select(l => l + "\n")), Encoding.ASCII);
        return path;
    }

    // nginx logs local time; the fake clock's local zone is UTC.
    private static string Refused(DateTimeOffset at, int port) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{at.UtcDateTime:yyyy/MM/dd HH:mm:ss} [error] 812#812: *7 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: shop.local, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:{port}/\", host: \"shop.local\"");

    private static string Text(DoctorReport report)
    {
        using var writer = new StringWriter();
        DoctorTextWriter.Write(report, writer);
        return writer.ToString();
    }
}
