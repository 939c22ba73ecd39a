// Jax.Vmap over pytree arguments and results: every leaf mapped along its argument's axis,
// results rebuilt with their structure; per-example gradients; axis errors naming leaf paths.
using Cotangent;
using Xunit;
using static Cotangent.Jnp;

namespace Cotangent.Tests;

public class VmapPytreeTests
{
    private static Tensor V(params float[] xs) => Array(xs);

    private static Tensor M(float[] xs, params int[] shape) => Array(xs, shape);

    [Fact]
    public void VmapMapsEveryLeafAndRebuildsTheResult()
    {
        var batch = new Dictionary<string, Tensor> { ["x"] = M([1, 2, 3, 4], 2, 2), ["s"] = V(10, 20) };
        var r = Jax.Vmap((Dictionary<string, Tensor> d) => (Sum(d["x"]) * d["s"], new List<Tensor> { d["x"] * 2f }))(batch);
        Check.F32(r.Item1, [2], 30, 140);
        Assert.IsType<List<Tensor>>(r.Item2);
        Check.F32(r.Item2[0], [2, 2], 2, 4, 6, 8);
    }

    [Fact]
    public void VmapWithAnAxisPerArgumentSharesUnmappedTrees()
    {
        Tensor[] ps = [V(2), V(1)];
        var f = Jax.Vmap((Tensor[] p, Tensor x) => p[0] * x + p[1], [null, 0]);
        Check.F32(f(ps, M([1, 2, 3], 3, 1)), [3, 1], 3, 5, 7);
        var g = Jax.Vmap((Tensor a, Tensor b, (Tensor, Tensor) t) => a * t.Item1 + b * t.Item2, [0, null, 1], 1);
        Check.F32(g(V(1, 2), V(10), (M([1, 2], 1, 2), M([3, 4], 1, 2))), [1, 2], 31, 44);
        Check.F32(Jax.Vmap((Tensor[] a, Tensor b, Tensor c, Tensor d) => a[0] + b + c + d)([V(1, 2)], V(1, 1), V(0, 0), V(1, 1)), [2], 3, 4);
    }

    [Fact]
    public void PlainVmapOfFourTensors()
    {
        Check.F32(Jax.Vmap((Tensor a, Tensor b, Tensor c, Tensor d) => a * b + c * d)(V(1, 2), V(3, 4), V(5, 6), V(7, 8)), [2], 38, 56);
        Check.F32(Jax.Vmap((Tensor a, Tensor b, Tensor c, Tensor d) => a * b + c * d, [0, null, 0, null])(V(1, 2), 3f, V(5, 6), 7f), [2], 38, 48);
    }

    // a linear model y = w . x + b with squared loss; per-example gradients are (2 r x, 2 r) with r = w . x + b - y
    private static Tensor Loss(Tensor w, Tensor b, Tensor x, Tensor y) => Square(Dot(w, x) + b - y);

    [Fact]
    public void VmapOfGradGivesPerExampleGradientsOfALinearModel()
    {
        var (w, b) = (V(1, -1), V(0.5f)[0]);
        var xs = M([1, 2, 3, 5, 0, 1], 3, 2);
        var ys = V(0, 1, -1);
        var grads = Jax.Vmap(Jax.Grad(Loss, [0, 1]), [null, null, 0, 0])(w, b, xs, ys);
        var r = new[] { 1 - 2 + 0.5f - 0, 3 - 5 + 0.5f - 1, 0 - 1 + 0.5f + 1 };
        Check.F32(grads[0], [3, 2], 2 * r[0] * 1, 2 * r[0] * 2, 2 * r[1] * 3, 2 * r[1] * 5, 2 * r[2] * 0, 2 * r[2] * 1);
        Check.F32(grads[1], [3], 2 * r[0], 2 * r[1], 2 * r[2]);
        // one example at a time agrees
        Check.F32(Jax.Grad(Loss)(w, b, xs[1], ys[1]), [2], grads[0][1].ToArray<float>());
    }

    [Fact]
    public void PerExampleGradientsOfAParameterList()
    {
        Func<IReadOnlyList<Tensor>, Tensor, Tensor, Tensor> loss = (ps, x, y) => Square(Dot(ps[0], x) + ps[1] - y);
        IReadOnlyList<Tensor> ps = [V(1, -1), V(0.5f)[0]];
        var grads = Jax.Vmap(Jax.Grad(loss), [null, 0, 0])(ps, M([1, 2, 3, 5], 2, 2), V(0, 1));
        var r = new[] { -0.5f, -2.5f };
        Check.F32(grads[0], [2, 2], 2 * r[0], 4 * r[0], 6 * r[1], 10 * r[1]);
        Check.F32(grads[1], [2], 2 * r[0], 2 * r[1]);
        // the mean of the per-example gradients is the batch gradient of the mean loss
        var batch = Jax.Grad((IReadOnlyList<Tensor> p, Tensor x, Tensor y) => Mean(Jax.Vmap(loss, [null, 0, 0])(p, x, y)))(ps, M([1, 2, 3, 5], 2, 2), V(0, 1));
        Check.F32(batch[0], [2], Mean(grads[0], 0).ToArray<float>());
    }

    [Fact]
    public void MismatchedAxisSizesNameEachLeafByItsPath()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() =>
            Jax.Vmap((Dictionary<string, Tensor> d, Tensor[] xs) => d["a"] + xs[1])(new() { ["a"] = V(1, 2, 3) }, [V(1, 2, 3), V(1, 2)]));
        Assert.Contains("inconsistent sizes", ex.Message);
        Assert.Contains("argument 0 at ['a'] of type f32[3] has size 3 along axis 0", ex.Message);
        Assert.Contains("argument 1 at [1] of type f32[2] has size 2 along axis 0", ex.Message);
    }

    [Fact]
    public void AnInAxisOutOfRangeNamesTheLeaf()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Jax.Vmap((Tensor[] xs) => xs[0], 1)([V(1, 2)]));
        Assert.Contains("argument 0 at [0] cannot be mapped along axis 1", ex.Message);
        Assert.Contains("f32[2]", ex.Message);
        var plain = Assert.ThrowsAny<ArgumentException>(() => Jax.Vmap((Tensor x, Tensor y) => x + y, [0, 2])(V(1, 2), V(1, 2)));
        Assert.Contains("argument 1 cannot be mapped along axis 2", plain.Message);
    }

    [Fact]
    public void TheWrongNumberOfInAxesForPytreeArgumentsNamesBothCounts()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Jax.Vmap((Tensor[] xs, Tensor y) => y, [0])([V(1)], V(1)));
        Assert.Contains("len(in_axes)=1, len(args)=2", ex.Message);
    }
}
