using Fleet502.EndToEndTests.Harness;
using Xunit.Abstractions;

namespace Fleet502.EndToEndTests.FaultMatrix;

/// <summary>
/// Scenario 3: a unix socket nginx's workers may not open. nginx runs as on a real host started by
/// root, without <c>user root;</c>, so its workers are nobody; the socket is root's, mode 0600.
/// </summary>
public sealed class SocketPermissionTests(ITestOutputHelper output)
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Everyone = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    [Fact]
    public async Task Root_only_unix_socket_opens_socket_permission_and_resolves_once_nginx_may_connect()
    {
        Assert.True(Environment.UserName == "root", "this scenario needs root: nginx's workers must run as a user other than the socket's owner");
        using var stack = new FaultStack("perm", output);
        var socket = stack.Dir.File("app.sock");
        stack.Own(ScriptedBackend.OnUnix(socket, ScriptedBackend.AnswerOk));
        File.SetUnixFileMode(socket, OwnerOnly);
        await stack.StartAsync($"location / {{ proxy_pass http://unix:{socket}:; }}", workersAsRoot: false);
        await stack.RunAsync(async () =>
        {
            Assert.All(await stack.GetManyAsync("/checkout", 3), s => Assert.Equal(502, s));
            var incident = await stack.AssertIncidentAsync("socket_permission", "unix:" + socket, "(13: Permission denied)");
            await stack.AssertDoctorAgreesAsync(incident); // doctor, run as a new user would, names the same cause
            Assert.Equal("app", incident.GetProperty("tier").GetString());

            // The fix: let nginx's user connect.
            File.SetUnixFileMode(socket, Everyone);
            Assert.All(await stack.GetManyAsync("/checkout", 3), s => Assert.Equal(200, s));
            await stack.AssertResolvesAsync(incident.GetProperty("id").GetString()!);
        });
    }
}
