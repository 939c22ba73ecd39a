// Jax.Jvp, Jax.Vjp, Jax.Linearize, Jax.LinearTranspose on tensors and on pytrees: values
// against hand derivatives, the adjoint identity, and structure errors that show both trees.
using Cotangent;
using Xunit;
using static Cotangent.Jnp;

namespace Cotangent.Tests;

public class AdTests
{
    private static Tensor V(params float[] xs) => Array(xs);

    private static Tensor M(float[] xs, params int[] shape) => Array(xs, shape);

    private static Tensor F2(Tensor x, Tensor y) => Sin(x) * y;

    [Fact]
    public void JvpOfTensorFunctionsOfOneToFourArguments()
    {
        var (p, t) = Jax.Jvp(Sin, V(0, 1), V(1, 2));
        Check.F32(p, [2], 0, MathF.Sin(1));
        Check.F32(t, [2], 1, 2 * MathF.Cos(1));
        var (p2, t2) = Jax.Jvp(F2, (0.5f, 3f), (1f, 10f));
        Check.F32(p2, Check.Scalar, MathF.Sin(0.5f) * 3);
        Check.F32(t2, Check.Scalar, MathF.Cos(0.5f) * 3 + MathF.Sin(0.5f) * 10);
        Check.F32(Jax.Jvp((Tensor x, Tensor y, Tensor z) => x * y * z, (1f, 2f, 3f), (0f, 0f, 1f)).Tangent, Check.Scalar, 2);
        Check.F32(Jax.Jvp((Tensor x, Tensor y, Tensor z, Tensor w) => x + y + z + w, (1f, 2f, 3f, 4f), (1f, 1f, 1f, 1f)).Tangent, Check.Scalar, 4);
    }

    [Fact]
    public void JvpOfPytrees()
    {
        var primal = new Dictionary<string, Tensor> { ["a"] = V(2), ["b"] = V(3) };
        var tangent = new Dictionary<string, Tensor> { ["a"] = V(1), ["b"] = V(0) };
        var (p, t) = Jax.Jvp((Dictionary<string, Tensor> d) => (d["a"] * d["b"], new[] { d["a"] * d["a"] }), primal, tangent);
        Check.F32(p.Item1, [1], 6);
        Check.F32(p.Item2[0], [1], 4);
        Check.F32(t.Item1, [1], 3);
        Check.F32(t.Item2[0], [1], 4);
        var (_, t2) = Jax.Jvp((Tensor[] xs, Tensor y) => xs[0] * y, ([V(2)], V(5)), ([V(1)], V(1)));
        Check.F32(t2, [1], 7);
    }

    [Fact]
    public void VjpOfTensorFunctions()
    {
        var (y, pullback) = Jax.Vjp(Sin, V(0, 1));
        Check.F32(y, [2], 0, MathF.Sin(1));
        Check.F32(pullback(V(2, 3)), [2], 2, 3 * MathF.Cos(1));
        var (y2, pb2) = Jax.Vjp(F2, 0.5f, 3f);
        Check.F32(y2, Check.Scalar, MathF.Sin(0.5f) * 3);
        var (cx, cy) = pb2(1f);
        Check.F32(cx, Check.Scalar, MathF.Cos(0.5f) * 3);
        Check.F32(cy, Check.Scalar, MathF.Sin(0.5f));
        var (_, pb4) = Jax.Vjp((Tensor a, Tensor b, Tensor c, Tensor d) => a * b + c * d, 1f, 2f, 3f, 4f);
        var cts = pb4(1f);
        Assert.Equal([2f, 1f, 4f, 3f], new[] { cts.Item1, cts.Item2, cts.Item3, cts.Item4 }.Select(t => t.ToScalar<float>()));
    }

    [Fact]
    public void VjpOfPytreesReturnsCotangentsOfTheArgumentsStructures()
    {
        var ps = new List<Tensor> { V(2, 3), V(1) };
        var (out1, pullback) = Jax.Vjp((List<Tensor> p) => new Dictionary<string, Tensor> { ["s"] = Sum(p[0]) * p[1], ["t"] = p[0] * 2f }, ps);
        Check.F32(out1["s"], [1], 5);
        var ct = pullback(new Dictionary<string, Tensor> { ["s"] = V(1), ["t"] = V(0, 1) });
        Assert.IsType<List<Tensor>>(ct);
        Check.F32(ct[0], [2], 1, 3); // from s: p[1] = 1 each; from t: 2 * (0, 1)
        Check.F32(ct[1], [1], 5);

        var (_, pb2) = Jax.Vjp((Tensor[] xs, (Tensor, Tensor) t) => xs[0] * t.Item1 + t.Item2, [V(2)], (V(3), V(4)));
        var (cxs, ct2) = pb2(V(1));
        Check.F32(cxs[0], [1], 3);
        Check.F32(ct2.Item1, [1], 2);
        Check.F32(ct2.Item2, [1], 1);
    }

    [Fact]
    public void ACotangentOfTheWrongStructureShowsBothStructures()
    {
        var (_, pullback) = Jax.Vjp((Tensor[] xs) => xs, new[] { V(1), V(2) });
        var ex = Assert.ThrowsAny<ArgumentException>(() => pullback([V(1), V(2), V(3)]));
        Assert.Contains("vjp", ex.Message);
        Assert.Contains("PyTreeDef([*, *, *])", ex.Message);
        Assert.Contains("PyTreeDef([*, *])", ex.Message);
        var shape = Assert.ThrowsAny<ArgumentException>(() => pullback([V(1), V(2, 3)]));
        Assert.Contains("f32[1]", shape.Message);
        Assert.Contains("f32[2]", shape.Message);
        var plain = Jax.Vjp(Sin, V(1, 2)).Pullback;
        Assert.Contains("f32[3]", Assert.ThrowsAny<ArgumentException>(() => plain(V(1, 2, 3))).Message);
    }

    [Fact]
    public void ATangentOfTheWrongStructureShowsBothStructures()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Jax.Jvp((Tensor[] xs) => xs[0], new[] { V(1) }, new[] { V(1), V(2) }));
        Assert.Contains("jvp", ex.Message);
        Assert.Contains("PyTreeDef([*])", ex.Message);
        Assert.Contains("PyTreeDef([*, *])", ex.Message);
    }

    [Fact]
    public void LinearizeAgreesWithJvpAtEveryTangent()
    {
        var x = V(0.3f, 1.2f);
        var (y, jvp) = Jax.Linearize(Tanh, x);
        Check.F32(y, [2], MathF.Tanh(0.3f), MathF.Tanh(1.2f));
        foreach (var t in new[] { V(1, 0), V(0.5f, -2) })
            Check.F32(jvp(t), [2], Jax.Jvp(Tanh, x, t).Tangent.ToArray<float>());
        var (y2, jvp2) = Jax.Linearize(F2, 0.5f, 3f);
        Check.F32(jvp2(1f, 10f), Check.Scalar, Jax.Jvp(F2, (0.5f, 3f), (1f, 10f)).Tangent.ToArray<float>());
        Check.F32(y2, Check.Scalar, MathF.Sin(0.5f) * 3);
    }

    [Fact]
    public void LinearizeOfPytreesTakesTangentsOfTheArgumentsStructure()
    {
        var ps = new Dictionary<string, Tensor> { ["w"] = V(2), ["b"] = V(1) };
        var (y, jvp) = Jax.Linearize((Dictionary<string, Tensor> p, Tensor x) => (p["w"] * x + p["b"], p["w"] * p["w"]), ps, V(3));
        Check.F32(y.Item1, [1], 7);
        var t = jvp(new Dictionary<string, Tensor> { ["w"] = V(1), ["b"] = V(0) }, V(0));
        Check.F32(t.Item1, [1], 3);
        Check.F32(t.Item2, [1], 4);
        var ex = Assert.ThrowsAny<ArgumentException>(() => jvp(new Dictionary<string, Tensor> { ["w"] = V(1) }, V(0)));
        Assert.Contains("PyTreeDef({'w': *})", ex.Message);
        Assert.Contains("PyTreeDef({'b': *, 'w': *})", ex.Message);
        var shape = Assert.ThrowsAny<ArgumentException>(() => jvp(new Dictionary<string, Tensor> { ["w"] = V(1, 2), ["b"] = V(0) }, V(0)));
        Assert.Contains("argument 0 at ['w']", shape.Message);
    }

    [Fact]
    public void LinearTransposeOfAMatrixProductIsTheTransposedProduct()
    {
        var a = M([1, 2, 3, 4, 5, 6], 2, 3);
        var transpose = Jax.LinearTranspose((Tensor x) => Matmul(a, x), Zeros([3]));
        Check.F32(transpose(V(1, 10)), [3], 41, 52, 63);
        // <A t, c> = <t, A^T c> for any t, c
        var (t, c) = (V(0.5f, -1, 2), V(3, -0.25f));
        Assert.Equal(Sum(Matmul(a, t) * c).ToScalar<float>(), Sum(t * transpose(c)).ToScalar<float>(), 4);
    }

    [Fact]
    public void LinearTransposeOfPytreeFunctions()
    {
        var transpose = Jax.LinearTranspose((Tensor[] xs) => new Dictionary<string, Tensor> { ["sum"] = xs[0] + xs[1], ["diff"] = xs[0] - 2f * xs[1] }, [V(0), V(0)]);
        var ct = transpose(new Dictionary<string, Tensor> { ["sum"] = V(1), ["diff"] = V(10) });
        Check.F32(ct[0], [1], 11);
        Check.F32(ct[1], [1], -19);
        var two = Jax.LinearTranspose((Tensor x, Tensor y) => 3f * x - y, V(0), V(0));
        var (cx, cy) = two(V(2));
        Check.F32(cx, [1], 6);
        Check.F32(cy, [1], -2);
        Assert.Contains("PyTreeDef({'sum': *})",
            Assert.ThrowsAny<ArgumentException>(() => transpose(new Dictionary<string, Tensor> { ["sum"] = V(1) })).Message);
    }

    [Fact]
    public void LinearTransposeRejectsIntegerInputs()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Jax.LinearTranspose((Tensor x) => x, Array([1, 2])));
        Assert.Contains("linear_transpose", ex.Message);
        Assert.Contains("i32[2]", ex.Message);
    }
}
