// Benchmarks of DESIGN.md §8, run with BenchmarkDotNet:
//   dotnet run -c Release --project bench/Cotangent.Bench -- --filter '*'
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
