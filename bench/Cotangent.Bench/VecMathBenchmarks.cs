// VecMath: Cotangent.Kernels' float32 Exp/Sin/Tanh (computed in float32) over 1e6 floats against the
// BCL's Vector256.Exp/Sin (float widened to double inside) and TensorPrimitives, in the same run.
//   dotnet run -c Release --project bench/Cotangent.Bench -- --filter '*VecMath*' --job short
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using Cotangent.Kernels;

namespace Cotangent.Bench;

public class VecMathBenchmarks
{
    private const int N = 1_000_000;
    private readonly float[] _x = new float[N];
    private readonly float[] _y = new float[N];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        for (int i = 0; i < N; i++) _x[i] = (rng.NextSingle() - 0.5f) * 20f; // [-10, 10)
    }

    // Loops written out per function: a delegate call per vector would dominate the cheaper kernels.
    private Vector256<float> Load(int i) => Vector256.LoadUnsafe(ref _x[0], (nuint)i);
    private void Store(Vector256<float> v, int i) => v.StoreUnsafe(ref _y[0], (nuint)i);

    /// <summary>VecMath.Exp, float32 throughout.</summary>
    [Benchmark] public void ExpVecMath() { for (int i = 0; i < N; i += 8) Store(VecMath.Exp(Load(i)), i); }

    /// <summary>BCL Vector256.Exp(float): widens to double.</summary>
    [Benchmark(Baseline = true)] public void ExpBcl() { for (int i = 0; i < N; i += 8) Store(Vector256.Exp(Load(i)), i); }

    /// <summary>TensorPrimitives.Exp over the span.</summary>
    [Benchmark] public void ExpTensorPrimitives() => TensorPrimitives.Exp(_x, _y);

    /// <summary>VecMath.Sin, float32 throughout.</summary>
    [Benchmark] public void SinVecMath() { for (int i = 0; i < N; i += 8) Store(VecMath.Sin(Load(i)), i); }

    /// <summary>BCL Vector256.Sin(float).</summary>
    [Benchmark] public void SinBcl() { for (int i = 0; i < N; i += 8) Store(Vector256.Sin(Load(i)), i); }

    /// <summary>TensorPrimitives.Sin over the span.</summary>
    [Benchmark] public void SinTensorPrimitives() => TensorPrimitives.Sin(_x, _y);

    /// <summary>VecMath.Tanh, float32 throughout.</summary>
    [Benchmark] public void TanhVecMath() { for (int i = 0; i < N; i += 8) Store(VecMath.Tanh(Load(i)), i); }

    /// <summary>TensorPrimitives.Tanh over the span (the BCL has no Vector256.Tanh).</summary>
    [Benchmark] public void TanhTensorPrimitives() => TensorPrimitives.Tanh(_x, _y);
}
