using System.Net.Sockets;
using System.Text;
using Fleet502.EndToEndTests.Harness;
using Xunit.Abstractions;

namespace Fleet502.EndToEndTests.FaultMatrix;

/// <summary>
/// Scenarios 5, 7, 8 and 9: a raw TCP backend that reads each request and then misbehaves, and
/// behaves again once the fault is removed.
/// </summary>
public sealed class BackendResponseTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Backend_closing_after_reading_the_request_opens_upstream_crash_and_resolves_once_it_answers()
    {
        var port = Ports.Free();
        using var stack = new FaultStack("close", output);
        var backend = stack.Own(ScriptedBackend.OnTcp(port, ScriptedBackend.CloseWithoutAnswer));
        await stack.StartAsync($"location / {{ proxy_pass http://127.0.0.1:{port}; }}");
        await stack.RunAsync(async () =>
        {
            Assert.All(await stack.GetManyAsync("/api/cart", 3), s => Assert.Equal(502, s));
            var incident = await stack.AssertIncidentAsync("upstream_crash", $"127.0.0.1:{port}", "upstream prematurely closed connection");
            await stack.AssertDoctorAgreesAsync(incident); // doctor, run as a new user would, names the same cause

            backend.Behavior = ScriptedBackend.AnswerOk;
            Assert.All(await stack.GetManyAsync("/api/cart", 3), s => Assert.Equal(200, s));
            await stack.AssertResolvesAsync(incident.GetProperty("id").GetString()!);
        });
    }

    [Fact]
    public async Task Backend_sending_an_invalid_header_opens_invalid_header_and_resolves_once_it_answers()
    {
        var port = Ports.Free();
        using var stack = new FaultStack("badhdr", output);
        var backend = stack.Own(ScriptedBackend.OnTcp(port, ScriptedBackend.Answer(
            Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nX-Bad\u0001Name: v\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"))));
        await stack.StartAsync($"location / {{ proxy_pass http://127.0.0.1:{port}; }}");
        await stack.RunAsync(async () =>
        {
            Assert.All(await stack.GetManyAsync("/profile", 3), s => Assert.Equal(502, s));
            var incident = await stack.AssertIncidentAsync("invalid_header", $"127.0.0.1:{port}", "upstream sent invalid header");
            await stack.AssertDoctorAgreesAsync(incident); // doctor, run as a new user would, names the same cause

            backend.Behavior = ScriptedBackend.AnswerOk;
            Assert.All(await stack.GetManyAsync("/profile", 3), s => Assert.Equal(200, s));
            await stack.AssertResolvesAsync(incident.GetProperty("id").GetString()!);
        });
    }

    /// <summary>
    /// An invalid status line is not a 502: nginx falls back to HTTP/0.9 and relays the raw bytes
    /// ($status 009), logging "upstream sent no valid HTTP/1.0 header".
    /// </summary>
    [Fact]
    public async Task Backend_sending_an_invalid_status_line_opens_http09_response_and_resolves_once_it_answers()
    {
        var port = Ports.Free();
        using var stack = new FaultStack("badstatus", output);
        var backend = stack.Own(ScriptedBackend.OnTcp(port, ScriptedBackend.Answer(
            Encoding.ASCII.GetBytes("HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"))));
        await stack.StartAsync($"location / {{ proxy_pass http://127.0.0.1:{port}; }}");
        await stack.RunAsync(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                // The client gets the backend's bytes as they were: no HTTP/1.1 response from nginx at all.
                Assert.StartsWith("HTTP/1.1 2x0 OK", await RawGetAsync(stack.NginxPort, "/profile"), StringComparison.Ordinal);
            }

            var incident = await stack.AssertIncidentAsync("http09_response", $"127.0.0.1:{port}", "upstream sent no valid HTTP/1.0 header");
            await stack.AssertDoctorAgreesAsync(incident); // doctor, run as a new user would, names the same cause

            backend.Behavior = ScriptedBackend.AnswerOk;
            Assert.All(await stack.GetManyAsync("/profile", 3), s => Assert.Equal(200, s));
            await stack.AssertResolvesAsync(incident.GetProperty("id").GetString()!);
        });
    }

    [Fact]
    public async Task Backend_header_larger_than_proxy_buffer_size_opens_header_too_big_and_resolves_once_it_shrinks()
    {
        var port = Ports.Free();
        using var stack = new FaultStack("bighdr", output);
        var cookie = new string('a', 8 * 1024);
        var backend = stack.Own(ScriptedBackend.OnTcp(port, ScriptedBackend.Answer(
            Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nSet-Cookie: session={cookie}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"))));
        await stack.StartAsync($"location / {{ proxy_pass http://127.0.0.1:{port}; proxy_buffer_size 1k; }}");
        await stack.RunAsync(async () =>
        {
            Assert.All(await stack.GetManyAsync("/login", 3), s => Assert.Equal(502, s));
            var incident = await stack.AssertIncidentAsync("header_too_big", $"127.0.0.1:{port}", "upstream sent too big header");
            await stack.AssertDoctorAgreesAsync(incident); // doctor, run as a new user would, names the same cause
            Assert.Equal("load_balancer", incident.GetProperty("tier").GetString());
            var detail = await stack.IncidentAsync(incident.GetProperty("id").GetString()!);
            Assert.Contains("has proxy_buffer_size 1k", FaultStack.EvidenceText(detail), StringComparison.Ordinal); // the configured size, from nginx -T
            Assert.Matches(@"proxy_buffer_size \d+k; proxy_buffers 8 \d+k", detail.GetProperty("fix").GetString()); // and the values to set

            backend.Behavior = ScriptedBackend.AnswerOk;
            Assert.All(await stack.GetManyAsync("/login", 3), s => Assert.Equal(200, s));
            await stack.AssertResolvesAsync(incident.GetProperty("id").GetString()!);
        });
    }

    [Fact]
    public async Task Backend_slower_than_proxy_read_timeout_gives_504_and_opens_upstream_timeout_and_resolves_once_fast()
    {
        var port = Ports.Free();
        using var stack = new FaultStack("slow", output);
        var backend = stack.Own(ScriptedBackend.OnTcp(port, ScriptedBackend.Stall(TimeSpan.FromSeconds(4))));
        await stack.StartAsync($"location / {{ proxy_pass http://127.0.0.1:{port}; proxy_read_timeout 1s; }}");
        await stack.RunAsync(async () =>
        {
            // 504 from nginx's own timer, not 502.
            Assert.All(await stack.GetManyAsync("/report", 3, parallel: true), s => Assert.Equal(504, s));
            var incident = await stack.AssertIncidentAsync("upstream_timeout", $"127.0.0.1:{port}", "upstream timed out");
            await stack.AssertDoctorAgreesAsync(incident); // doctor, run as a new user would, names the same cause
            Assert.Contains("× 504", incident.GetProperty("summary").GetString(), StringComparison.Ordinal);

            backend.Behavior = ScriptedBackend.AnswerOk;
            Assert.All(await stack.GetManyAsync("/report", 3), s => Assert.Equal(200, s));
            await stack.AssertResolvesAsync(incident.GetProperty("id").GetString()!);
        });
    }

    private static async Task<string> RawGetAsync(int port, string path)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: fm.local\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        return await reader.ReadToEndAsync(timeout.Token);
    }
}
