using System.CommandLine;

namespace Fleet502.Bench;

/// <summary>
/// <c>fleet502-bench tail --kind error|access --file F [--runs N]</c>,
/// <c>fleet502-bench gen --kind error|access --size-mb N --seed S --out F</c>,
/// <c>fleet502-bench sample [--processes 2000] [--sockets 5000] [--passes 50]</c>.
/// </summary>
internal static class BenchCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Fleet502 agent benchmarks: log pipeline throughput and host-state sampling cost (see benchmarks/README.md)")
        {
            Tail(),
            Gen(),
            Sample(),
            Hold(),
        };
        return root;
    }

    private static Option<LogKind> KindOption() => new("--kind")
    {
        Description = "Which nginx log: error or access",
        Required = true,
        CustomParser = r => r.Tokens is [{ Value: var v }] && Enum.TryParse<LogKind>(v, ignoreCase: true, out var k)
            ? k
            : Fail<LogKind>(r, "--kind must be error or access"),
    };

    private static T Fail<T>(System.CommandLine.Parsing.ArgumentResult r, string message)
    {
        r.AddError(message);
        return default!;
    }

    private static Command Tail()
    {
        var kind = KindOption();
        var file = new Option<FileInfo>("--file", "-f") { Description = "Log file to read from its first byte to its end", Required = true };
        var runs = new Option<int>("--runs") { Description = "Times to read the whole file (each in a fresh tailer)", DefaultValueFactory = _ => 3 };
        var stopAfter = new Option<Stage>("--stop-after")
        {
            Description = "Profile: stop the pipeline after split, parse or classify (default: all)",
            DefaultValueFactory = _ => Stage.All,
            CustomParser = r => r.Tokens is [{ Value: var v }] && Enum.TryParse<Stage>(v, ignoreCase: true, out var s)
                ? s
                : Fail<Stage>(r, "--stop-after must be split, parse, classify or all"),
        };
        var command = new Command("tail", "Tail → split → parse → classify/coalesce one file on the agent's real pipeline; MiB/s, lines/s, CPU-s/GiB, peak RSS, bytes allocated per line")
        {
            kind, file, runs, stopAfter,
        };
        command.SetAction(parse =>
        {
            var f = parse.GetValue(file)!;
            if (!f.Exists)
            {
                Console.Error.WriteLine($"{f.FullName}: no such file (make one with: fleet502-bench gen --kind {parse.GetValue(kind).ToString().ToLowerInvariant()} --size-mb 1024 --seed 1 --out {f.FullName})");
                return 2;
            }

            return new TailBench(parse.GetValue(kind), f.FullName, Math.Max(1, parse.GetValue(runs)), parse.GetValue(stopAfter), Console.Out).Run();
        });
        return command;
    }

    private static Command Gen()
    {
        var kind = KindOption();
        var size = new Option<int>("--size-mb") { Description = "Upper bound of the file size in MiB", DefaultValueFactory = _ => 1024 };
        var seed = new Option<int>("--seed") { Description = "Same kind + seed + size gives the same bytes", DefaultValueFactory = _ => 1 };
        var output = new Option<FileInfo>("--out", "-o") { Description = "File to write", Required = true };
        var command = new Command("gen", "Write a deterministic nginx error.log (nginx's own format, common upstream failures) or access log (combined + $request_time $upstream_response_time $upstream_addr $upstream_status)")
        {
            kind, size, seed, output,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(output)!.FullName;
            var started = System.Diagnostics.Stopwatch.StartNew();
            var (bytes, lines) = new LogGenerator(parse.GetValue(kind), parse.GetValue(size) * 1024L * 1024, parse.GetValue(seed)).Write(path);
            Console.Out.WriteLine($"{path}: {bytes:N0} bytes, {lines:N0} lines in {started.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return command;
    }

    private static Command Sample()
    {
        var processes = new Option<int>("--processes") { Description = "Sleeping child processes to start (/bin/sleep 600)", DefaultValueFactory = _ => 2000 };
        var sockets = new Option<int>("--sockets") { Description = "Listening sockets to open (TCP v4/v6 on loopback and unix), spread over the holders", DefaultValueFactory = _ => 5000 };
        var holders = new Option<int>("--holders") { Description = "Child processes holding the sockets", DefaultValueFactory = _ => 20 };
        var unixShare = new Option<double>("--unix-share") { Description = "Share of the sockets that are unix sockets (the rest: 80% tcp4, 20% tcp6)", DefaultValueFactory = _ => 0.5 };
        var passes = new Option<int>("--passes") { Description = "Sampling passes to measure after the warm-up pass", DefaultValueFactory = _ => 50 };
        var command = new Command("sample", "Cost of one host-state (listener) sampling pass on a host with many processes and sockets")
        {
            processes, sockets, holders, unixShare, passes,
        };
        command.SetAction(parse => new SampleBench(
            Math.Max(0, parse.GetValue(processes)),
            Math.Max(0, parse.GetValue(sockets)),
            Math.Max(1, parse.GetValue(holders)),
            Math.Clamp(parse.GetValue(unixShare), 0, 1),
            Math.Max(1, parse.GetValue(passes)),
            Console.Out).Run());
        return command;
    }

    // Internal: the socket holder child that 'sample' starts.
    private static Command Hold()
    {
        var tcp4 = new Option<int>("--tcp4");
        var tcp6 = new Option<int>("--tcp6");
        var unix = new Option<int>("--unix");
        var dir = new Option<string>("--dir") { Required = true };
        var command = new Command("hold", "(internal) hold listening sockets until stdin closes") { tcp4, tcp6, unix, dir };
        command.Hidden = true;
        command.SetAction(parse => SocketHolder.Run(parse.GetValue(tcp4), parse.GetValue(tcp6), parse.GetValue(unix), parse.GetValue(dir)!));
        return command;
    }
}
