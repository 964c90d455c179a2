using Fleet502.Diagnosis;
using Fleet502.Diagnosis.Rules;
using Fleet502.Protos.V1;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;
using static Fleet502.Tests.Diagnosis.Rules.HostBuilder;

namespace Fleet502.Tests.Diagnosis.Rules;

public sealed class SocketPermissionRuleTests
{
    private static readonly SocketPermissionRule Rule = new();
    private const string Path = "/run/php/app.sock";

    [Fact]
    public void RootOnlySocket_NamesModeOwnerAndTheUserThatCannotConnect()
    {
        var web = WithPath(T0, canConnect: false, mode: 0x180 /* 0600 */);

        var verdict = Rule.Evaluate(SymptomOf(web, Failure(Cause.SocketPermission, "unix:" + Path)), web)!;

        Assert.Equal(0.95, verdict.Confidence);
        Assert.Equal("socket permission: www-data may not connect to /run/php/app.sock on web-1 (0600 root:root)", verdict.Headline);
        Assert.Contains(verdict.Evidence, e => e.Text.Contains("www-data cannot connect (socket mode 0600", StringComparison.Ordinal));
        Assert.Contains("listen.owner = www-data", verdict.Fix, StringComparison.Ordinal);
        Assert.Equal("app", verdict.Tier);
    }

    [Fact]
    public void FixedAfterTheError_OpensNothing_AndConfirmsRecovery()
    {
        var web = WithPath(T0.AddSeconds(5), canConnect: true, mode: 0x1B6 /* 0666 */);

        Assert.Null(Rule.Evaluate(SymptomOf(web, Failure(Cause.SocketPermission, "unix:" + Path)), web));
        Assert.NotNull(Rule.ConfirmRecovery(TargetAddress.Parse("unix:" + Path), web, T0.AddMinutes(3)));
        Assert.Null(Rule.ConfirmRecovery(TargetAddress.Parse("unix:" + Path), WithPath(T0, canConnect: false, mode: 0x180), T0.AddMinutes(3)));
    }

    [Fact]
    public void UnwatchedPath_IsLowerConfidence()
    {
        var web = Host("web-1", T0, []);

        Assert.Equal(0.7, Rule.Evaluate(SymptomOf(web, Failure(Cause.SocketPermission, "unix:" + Path)), web)?.Confidence);
    }

    private static HostState WithPath(DateTimeOffset at, bool canConnect, uint mode)
    {
        var host = Host("web-1", at, [UnixListener(Path)]);
        host.Listeners!.UnixPaths.Add(new UnixSocketPath
        {
            Path = Path, Exists = true, IsSocket = true, HasListener = true, Owner = "root", Group = "root", Mode = mode,
            ClientUser = "www-data", ClientCanConnect = canConnect,
            Problem = canConnect ? "" : "socket mode 0600 owner 0:0 gives www-data no write permission: clients get EACCES (13: Permission denied)",
        });
        return host;
    }
}
