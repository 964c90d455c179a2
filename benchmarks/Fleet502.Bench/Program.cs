using System.CommandLine;
using Fleet502.Bench;

return BenchCommandLine.Build().Parse(args).Invoke();
