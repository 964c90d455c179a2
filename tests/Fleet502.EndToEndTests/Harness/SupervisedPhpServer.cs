namespace Fleet502.EndToEndTests.Harness;

/// <summary>
/// A real backend under real supervisord: php's built-in web server as program <c>name</c>, listening
/// on a loopback port and serving <c>dir/name/</c> (so its command line carries the program's name,
/// as gunicorn's or node's usually do). Stopped with its children on dispose.
/// </summary>
public sealed class SupervisedPhpServer : IDisposable
{
    private readonly ChildProcess _supervisord;

    private SupervisedPhpServer(string name, int port, string docroot, string config, string socket, ChildProcess supervisord)
    {
        Name = name;
        Port = port;
        DocumentRoot = docroot;
        ConfigPath = config;
        Socket = socket;
        _supervisord = supervisord;
    }

    public string Name { get; }

    public int Port { get; }

    /// <summary>The first program's document root; a ?sleep=ms request touches "serving" in it when it starts.</summary>
    public string DocumentRoot { get; }

    public string ConfigPath { get; }

    /// <summary>supervisord's unix socket, for the agent.</summary>
    public string Socket { get; }

    public string Output => _supervisord.Output;

    /// <summary>Starts supervisord with one program and waits until the program accepts connections.</summary>
    public static Task<SupervisedPhpServer> StartAsync(string dir, string name, int port, string startSeconds = "1") =>
        StartAsync(dir, [(name, port)], startSeconds);

    /// <summary>Starts supervisord with one program per (name, port); <see cref="Name"/> is the first.</summary>
    public static async Task<SupervisedPhpServer> StartAsync(string dir, IReadOnlyList<(string Name, int Port)> programs, string startSeconds = "1")
    {
        var (name, port) = programs[0];
        var docroot = Path.Combine(dir, name);
        var sections = new System.Text.StringBuilder();
        foreach (var (program, programPort) in programs)
        {
            var root = Path.Combine(dir, program);
            Directory.CreateDirectory(root);
            await File.WriteAllTextAsync(Path.Combine(root, "index.php"), "<?php if (isset($_GET['sleep'])) { touch(__DIR__ . '/serving'); usleep((int)$_GET['sleep'] * 1000); } echo 'ok';\n");
            sections.Append($"""

                [program:{program}]
                command = /usr/bin/php -S 127.0.0.1:{programPort} -t {root}
                autostart = true
                autorestart = true
                startsecs = {startSeconds}
                stopasgroup = true
                killasgroup = true

                """);
        }

        var socket = Path.Combine(dir, "supervisor.sock");
        var config = Path.Combine(dir, "supervisord.conf");
        await File.WriteAllTextAsync(config, $"""
            [unix_http_server]
            file = {socket}
            chmod = 0700

            [supervisord]
            logfile = {Path.Combine(dir, "supervisord.log")}
            pidfile = {Path.Combine(dir, "supervisord.pid")}
            childlogdir = {dir}
            nodaemon = true

            [rpcinterface:supervisor]
            supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

            [supervisorctl]
            serverurl = unix://{socket}
            {sections}
            """);
        var supervisord = new ChildProcess("supervisord", "/usr/bin/supervisord", ["-c", config, "-n"]);
        try
        {
            foreach (var (_, programPort) in programs)
            {
                await WaitForPortAsync(programPort, supervisord);
            }
        }
        catch
        {
            supervisord.Dispose();
            throw;
        }

        return new SupervisedPhpServer(name, port, docroot, config, socket, supervisord);
    }

    /// <summary>supervisorctl VERB NAME (stop, start, restart, pid), as an operator would; returns its output.</summary>
    public Task<string> CtlAsync(string verb) => CtlAsync(verb, Name);

    /// <summary>supervisorctl VERB PROGRAM for any of the programs.</summary>
    public async Task<string> CtlAsync(string verb, string program)
    {
        using var ctl = new ChildProcess("supervisorctl", "/usr/bin/supervisorctl", ["-c", ConfigPath, verb, program]);
        return await ctl.WaitForExitAsync(TimeSpan.FromSeconds(20)) ? ctl.Output : throw new TimeoutException($"supervisorctl {verb} {program} did not finish\n{ctl.Output}");
    }

    public static async Task WaitForPortAsync(int port, ChildProcess? process = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (DateTime.UtcNow < deadline && process?.HasExited != true)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new InvalidOperationException($"nothing listens on port {port}\n{process?.Output}");
    }

    public void Dispose() => _supervisord.Dispose();
}
