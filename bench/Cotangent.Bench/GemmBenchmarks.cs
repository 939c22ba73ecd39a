// GEMM throughput (DESIGN.md §5: the packed GEMM reaches the FMA peak on one core). 512³ products,
// 2·512³ = 268.4 MFLOP each; the GFLOP/s column is that over the median time (the machine is shared,
// so the median, not the mean). Inputs live in 64-byte-aligned native memory: no managed heap, no GC.
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Cotangent.Kernels;

namespace Cotangent.Bench;

[MedianColumn]
[Config(typeof(GflopsConfig))]
public unsafe class GemmBenchmarks
{
    private const int N = 512;
    private float* _a, _b, _c;
    private double* _da, _db, _dc;

    [GlobalSetup]
    public void Setup()
    {
        _a = Alloc<float>(); _b = Alloc<float>(); _c = Alloc<float>();
        _da = Alloc<double>(); _db = Alloc<double>(); _dc = Alloc<double>();
        var rnd = new Random(1);
        for (int i = 0; i < N * N; i++)
        {
            _da[i] = _a[i] = (float)(rnd.NextDouble() - 0.5);
            _db[i] = _b[i] = (float)(rnd.NextDouble() - 0.5);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (void* p in new void*[] { _a, _b, _c, _da, _db, _dc }) NativeMemory.AlignedFree(p);
    }

    private static T* Alloc<T>() where T : unmanaged => (T*)NativeMemory.AlignedAlloc((nuint)(N * N * sizeof(T)), 64);

    /// <summary>float32 512×512×512 on the calling thread only.</summary>
    [Benchmark(Baseline = true)]
    public void Sgemm512OneCore() => Gemm.Sgemm(false, false, N, N, N, _a, N, _b, N, _c, N, false, parallel: false);

    /// <summary>float32 512×512×512 split across all cores.</summary>
    [Benchmark]
    public void Sgemm512AllCores() => Gemm.Sgemm(false, false, N, N, N, _a, N, _b, N, _c, N, false, parallel: true);

    /// <summary>float32 with both operands transposed (the strided packing paths), one core.</summary>
    [Benchmark]
    public void Sgemm512TransposedOneCore() => Gemm.Sgemm(true, true, N, N, N, _a, N, _b, N, _c, N, false, parallel: false);

    /// <summary>float64 512×512×512 on the calling thread only.</summary>
    [Benchmark]
    public void Dgemm512OneCore() => Gemm.Dgemm(false, false, N, N, N, _da, N, _db, N, _dc, N, false, parallel: false);

    /// <summary>float64 512×512×512 split across all cores.</summary>
    [Benchmark]
    public void Dgemm512AllCores() => Gemm.Dgemm(false, false, N, N, N, _da, N, _db, N, _dc, N, false, parallel: true);
}

/// <summary>Adds a GFLOP/s column, 2·512³ flops over each benchmark's median time.</summary>
public class GflopsConfig : ManualConfig
{
    public GflopsConfig() => AddColumn(new GflopsColumn());

    private sealed class GflopsColumn : IColumn
    {
        public string Id => nameof(GflopsColumn);
        public string ColumnName => "GFLOP/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "2·512³ / median time";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            double? ns = summary[benchmarkCase]?.ResultStatistics?.Median;
            return ns is double t ? (2.0 * 512 * 512 * 512 / t).ToString("F1") : "NA";
        }
    }
}
