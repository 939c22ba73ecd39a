// Eager autodiff workloads of DESIGN.md §8 and the autodiff issue: the seed's Python-style loop
// and its vectorized form under JacRev/JacFwd, grad of the seed's scalar function, a 50x50
// Hessian, and per-example gradients via Vmap(Grad). PyTorch 1.13 (functorch) on the project's
// 2-core machine took 111 / 86 ms (loop), 0.11 / 4.5 ms (vectorized), 0.17 ms (grad),
// 1.2 ms (Hessian), 0.34 ms (per-example).
using BenchmarkDotNet.Attributes;
using Cotangent;
using static Cotangent.Jnp;

namespace Cotangent.Bench;

[MemoryDiagnoser]
public class AutodiffBenchmarks
{
    private Tensor _arr = null!;
    private Tensor _x50 = null!;
    private Tensor _w = null!, _xs = null!, _ys = null!;
    private readonly Tensor _one = Array([1f], []);

    [GlobalSetup]
    public void Setup()
    {
        _arr = Array(Enumerable.Range(0, 1000).Select(i => 0.5f + i / 2000f).ToArray());
        _x50 = Array(Enumerable.Range(0, 50).Select(i => MathF.Sin(i)).ToArray());
        var rng = new Random(0);
        _w = Array(Enumerable.Range(0, 100).Select(_ => (float)rng.NextDouble()).ToArray());
        _xs = Array(Enumerable.Range(0, 128 * 100).Select(_ => (float)rng.NextDouble()).ToArray(), [128, 100]);
        _ys = Array(Enumerable.Range(0, 128).Select(_ => (float)rng.NextDouble()).ToArray());
    }

    /// <summary>The seed's loop: x *= p*p - p*p*p - p over the rows of a.</summary>
    public static Tensor Loop(Tensor a)
    {
        Tensor x = 1f;
        foreach (var p in a) x *= p * p - p * p * p - p;
        return x;
    }

    /// <summary>The same product, vectorized.</summary>
    public static Tensor Vectorized(Tensor a) => Prod(a * a - a * a * a - a);

    /// <summary>The seed's scalar function.</summary>
    public static Tensor F(Tensor x1, Tensor x2) => (x1 / x2 - Exp(x2)) * (Sin(x1 / x2) + x1 / x2 - Exp(x2));

    private static Tensor HessianTarget(Tensor x) => Sum(Tanh(x) * x * x) + Square(Sum(x));

    private static Tensor SquaredLoss(Tensor w, Tensor x, Tensor y) => Square(Dot(x, w) - y);

    [Benchmark] public Tensor LoopJacRev() => Jax.JacRev(Loop)(_arr);
    [Benchmark] public Tensor LoopJacFwd() => Jax.JacFwd(Loop)(_arr);
    [Benchmark] public Tensor VectorizedJacRev() => Jax.JacRev(Vectorized)(_arr);
    [Benchmark] public Tensor VectorizedJacFwd() => Jax.JacFwd(Vectorized)(_arr);
    [Benchmark] public Tensor SeedGrad() => Jax.Grad(F)(_one, _one);
    [Benchmark] public Tensor Hessian50() => Jax.Hessian(HessianTarget)(_x50);
    [Benchmark] public Tensor PerExampleGrads() => Jax.Vmap(Jax.Grad(SquaredLoss), [null, 0, 0])(_w, _xs, _ys);

    /// <summary>Baseline: the vectorized function evaluated eagerly, no derivative.</summary>
    [Benchmark(Baseline = true)] public Tensor VectorizedEager() => Vectorized(_arr);
}
