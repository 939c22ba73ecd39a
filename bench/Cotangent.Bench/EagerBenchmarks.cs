// Eager dispatch: the cost of one primitive bound outside any transformation (DESIGN.md §8:
// under 1 µs per scalar op), against hand-written baselines measured in the same run.
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using Cotangent;

namespace Cotangent.Bench;

[MemoryDiagnoser]
public class EagerBenchmarks
{
    private readonly Tensor _x = Jnp.Array([1.5f], []);
    private readonly Tensor _y = Jnp.Array([2.5f], []);
    private Tensor _v = null!;
    private float[] _data = null!;
    private readonly float[] _out = new float[1000];

    [GlobalSetup]
    public void Setup()
    {
        _data = Enumerable.Range(0, 1000).Select(i => i / 1000f).ToArray();
        _v = Jnp.Array(_data);
    }

    /// <summary>jnp-level scalar add: promotion, type rule, interpreter, result wrapper.</summary>
    [Benchmark]
    public Tensor ScalarAdd() => _x + _y;

    /// <summary>lax-level scalar add: no promotion, the bare primitive dispatch.</summary>
    [Benchmark]
    public Tensor ScalarLaxAdd() => Lax.Add(_x, _y);

    /// <summary>Scalar add with a weakly typed C# literal (converted and folded each call).</summary>
    [Benchmark]
    public Tensor ScalarAddLiteral() => _x + 1f;

    /// <summary>exp over 1000 float32 elements through the eager path.</summary>
    [Benchmark]
    public Tensor Exp1000() => Jnp.Exp(_v);

    /// <summary>Baseline: TensorPrimitives.Exp over the same 1000 floats into a preallocated buffer.</summary>
    [Benchmark(Baseline = true)]
    public float[] Exp1000Baseline()
    {
        TensorPrimitives.Exp(_data, _out);
        return _out;
    }
}
