using Fleet502.EndToEndTests.Harness;
using Xunit.Abstractions;

namespace Fleet502.EndToEndTests.FaultMatrix;

/// <summary>
/// Scenario 2: proxy_pass to a unix socket whose path does not exist (the app never created it);
/// socket_missing with the path's state, the same cause from doctor, and resolution once the app
/// listens there.
/// </summary>
public sealed class SocketMissingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Missing_unix_socket_opens_socket_missing_that_doctor_names_too_and_resolves_once_the_app_listens()
    {
        using var stack = new FaultStack("sockmissing", output);
        var socket = stack.Dir.File("app.sock");
        await stack.StartAsync($"location / {{ proxy_pass http://unix:{socket}:; }}");
        await stack.RunAsync(async () =>
        {
            Assert.All(await stack.GetManyAsync("/checkout", 3), s => Assert.Equal(502, s));
            var incident = await stack.AssertIncidentAsync("socket_missing", "unix:" + socket, "(2: No such file or directory)");
            var diagnosed = await stack.AssertDoctorAgreesAsync(incident);
            Assert.Contains($"{socket} does not exist", diagnosed.GetProperty("evidence").ToString(), StringComparison.Ordinal);

            stack.Own(ScriptedBackend.OnUnix(socket, ScriptedBackend.AnswerOk));
            Assert.All(await stack.GetManyAsync("/checkout", 3), s => Assert.Equal(200, s));
            await stack.AssertResolvesAsync(incident.GetProperty("id").GetString()!);
        });
    }
}
