// GEMM throughput (DESIGN.md §5: the packed GEMM reaches the FMA peak on one core). 512³ products,
// 2·512³ = 268.4 MFLOP each: GFLOP/s = 0.2684 / (mean in ms). Inputs live in 64-byte-aligned
// native memory so the managed heap and GC play no part.
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Cotangent.Kernels;

namespace Cotangent.Bench;

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
