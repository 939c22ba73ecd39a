// Benchmarks of DESIGN.md §8, run with BenchmarkDotNet:
//   dotnet run -c Release --project bench/Cotangent.Bench -- --filter '*'
// `-- --probe [elementwise|gemm|mlp|compile ...]` runs the jit workloads once each, checks their
// results and prints rough Stopwatch times (JitProbe in JitBenchmarks.cs).
using BenchmarkDotNet.Running;
using Cotangent.Bench;

// COTANGENT_GC_LOG=1: allocations by type at the end (GcListener)
var gcLog = Environment.GetEnvironmentVariable("COTANGENT_GC_LOG") == "1" ? new GcListener() : null;
if (args.Length > 0 && args[0] == "--probe") JitProbe.Run(args[1..]);
else BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
gcLog?.Dispose();
