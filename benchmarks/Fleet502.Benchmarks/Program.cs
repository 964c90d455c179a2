using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Fleet502.Benchmarks.ErrorLineBenchmarks).Assembly).Run(args);
