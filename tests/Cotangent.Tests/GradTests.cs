// Jax.Grad and Jax.ValueAndGrad on tensors and on pytrees: argnums (int, int[], negative),
// hasAux, method groups, and gradients shaped like the arguments they belong to.
using Cotangent;
using Xunit;
using static Cotangent.Jnp;

namespace Cotangent.Tests;

public class GradTests
{
    private static Tensor V(params float[] xs) => Array(xs);

    private static Tensor Cube(Tensor x) => Sum(x * x * x);

    private static Tensor F2(Tensor x, Tensor y) => x * x * y;

    private static Tensor F3(Tensor x, Tensor y, Tensor z) => x * y * z;

    private static Tensor F4(Tensor x, Tensor y, Tensor z, Tensor w) => x * y + z * w * w;

    [Fact]
    public void GradOfMethodGroupsOfOneToFourTensors()
    {
        Check.F32(Jax.Grad(Cube)(V(1, 2)), [2], 3, 12);
        Check.F32(Jax.Grad(F2)(3f, 5f), Check.Scalar, 30);
        Check.F32(Jax.Grad(F2, 1)(3f, 5f), Check.Scalar, 9);
        Check.F32(Jax.Grad(F3, 2)(2f, 3f, 5f), Check.Scalar, 6);
        Check.F32(Jax.Grad(F4, 3)(1f, 2f, 3f, 4f), Check.Scalar, 24);
    }

    [Fact]
    public void NegativeArgnumsCountFromTheEnd()
    {
        Check.F32(Jax.Grad(F2, -1)(3f, 5f), Check.Scalar, 9);
        Check.F32(Jax.Grad(F4, -4)(1f, 2f, 3f, 4f), Check.Scalar, 2);
    }

    [Fact]
    public void ArgnumsArraysGiveOneGradientPerEntry()
    {
        var g = Jax.Grad(F2, [1, 0])(3f, 5f);
        Assert.Equal(2, g.Length);
        Check.F32(g[0], Check.Scalar, 9);
        Check.F32(g[1], Check.Scalar, 30);
        var g4 = Jax.Grad(F4, [0, 2, 3])(1f, 2f, 3f, 4f);
        Assert.Equal([2f, 16f, 24f], g4.Select(t => t.ToScalar<float>()));
    }

    [Fact]
    public void ValueAndGradReturnsBoth()
    {
        var (v, g) = Jax.ValueAndGrad(Cube)(V(1, 2));
        Check.F32(v, Check.Scalar, 9);
        Check.F32(g, [2], 3, 12);
        var (v2, gs) = Jax.ValueAndGrad(F2, [0, 1])(3f, 5f);
        Check.F32(v2, Check.Scalar, 45);
        Assert.Equal([30f, 9f], gs.Select(t => t.ToScalar<float>()));
        Check.F32(Jax.ValueAndGrad(F3, 1)(2f, 3f, 5f).Grad, Check.Scalar, 10);
    }

    // ---- pytrees ------------------------------------------------------------------------------

    private static Tensor Loss(IReadOnlyList<Tensor> ps, Tensor x) => Sum(Square(ps[0] * x + ps[1]));

    [Fact]
    public void GradOfAParameterListIsAListOfTheSameType()
    {
        IReadOnlyList<Tensor> ps = [V(2), V(1)];
        var g = Jax.Grad((IReadOnlyList<Tensor> p, Tensor x) => Loss(p, x))(ps, V(3));
        // d/dw (w x + b)^2 = 2 (w x + b) x = 42, d/db = 14
        Assert.IsType<Tensor[]>(g);
        Check.F32(g[0], [1], 42);
        Check.F32(g[1], [1], 14);
        var list = new List<Tensor> { V(2), V(1) };
        List<Tensor> g2 = Jax.Grad((List<Tensor> p, Tensor x) => Loss(p, x))(list, V(3));
        Check.F32(g2[0], [1], 42);
    }

    [Fact]
    public void GradOfATensorArray()
    {
        var g = Jax.Grad((Tensor[] xs) => Sum(xs[0] * xs[1]))([V(1, 2), V(3, 4)]);
        Check.F32(g[0], [2], 3, 4);
        Check.F32(g[1], [2], 1, 2);
    }

    [Fact]
    public void GradOfDictionariesTuplesAndNesting()
    {
        var ps = new Dictionary<string, Tensor> { ["w"] = V(2, 3), ["b"] = V(1) };
        var g = Jax.Grad((Dictionary<string, Tensor> p) => Sum(p["w"] * p["w"]) + Sum(p["b"]) * 5f)(ps);
        Check.F32(g["w"], [2], 4, 6);
        Check.F32(g["b"], [1], 5);

        var nested = (V(1), new[] { (V(2), V(3)) }, new Dictionary<string, Tensor[]> { ["k"] = [V(4)] });
        var gn = Jax.Grad(((Tensor a, (Tensor, Tensor)[] pairs, Dictionary<string, Tensor[]> d) t) =>
            Sum(t.a * t.pairs[0].Item1 * t.pairs[0].Item2 * t.d["k"][0]))(nested);
        Check.F32(gn.Item1, [1], 24);
        Check.F32(gn.Item2[0].Item1, [1], 12);
        Check.F32(gn.Item2[0].Item2, [1], 8);
        Check.F32(gn.Item3["k"][0], [1], 6);
    }

    [Fact]
    public void GradWithArgnumsOfPytreeArguments()
    {
        Func<Tensor[], Dictionary<string, Tensor>, Tensor> f = (xs, d) => Sum(xs[0] * d["a"]);
        var xs = new[] { V(2) };
        var d = new Dictionary<string, Tensor> { ["a"] = V(7) };
        var g1 = Assert.IsType<Dictionary<string, Tensor>>(Jax.Grad(f, 1)(xs, d));
        Check.F32(g1["a"], [1], 2);
        var both = Jax.Grad(f, [0, 1])(xs, d);
        Check.F32(Assert.IsType<Tensor[]>(both[0])[0], [1], 7);
        Check.F32(Assert.IsType<Dictionary<string, Tensor>>(both[1])["a"], [1], 2);
        var (v, gs) = Jax.ValueAndGrad(f, [1])(xs, d);
        Check.F32(v, Check.Scalar, 14);
        Check.F32(((Dictionary<string, Tensor>)gs[0]!)["a"], [1], 2);
    }

    [Fact]
    public void ValueAndGradOfATrainingStep()
    {
        Tensor[] ps = [V(2), V(1)];
        var step = Jax.ValueAndGrad((Tensor[] p, Tensor x) => Loss(p, x));
        var (loss, g) = step(ps, V(3));
        Check.F32(loss, Check.Scalar, 49);
        var next = Tree.Map((p, dp) => p - 0.01f * dp, ps, g);
        Assert.True(step(next, V(3)).Value.ToScalar<float>() < 49f);
    }

    [Fact]
    public void HasAuxReturnsTheAuxiliaryDataUndifferentiated()
    {
        var (g, aux) = Jax.Grad((Tensor x) => (Sum(x * x), (x * 2f, Sum(x))), hasAux: true)(V(1, 2));
        Check.F32(g, [2], 2, 4);
        Check.F32(aux.Item1, [2], 2, 4);
        Check.F32(aux.Item2, Check.Scalar, 3);

        var ((v, preds), gp) = Jax.ValueAndGrad((Tensor[] p, Tensor x) => (Loss(p, x), new List<Tensor> { p[0] * x + p[1] }), hasAux: true)([V(2), V(1)], V(3));
        Check.F32(v, Check.Scalar, 49);
        Check.F32(preds[0], [1], 7);
        Check.F32(gp[0], [1], 42);

        var (gs, n) = Jax.Grad((Tensor x, Tensor y) => (x * y, Lax.ConvertElementType(x, DType.Int32)), [0, 1], hasAux: true)(3f, 4f);
        Assert.Equal([4f, 3f], gs.Select(t => ((Tensor)t!).ToScalar<float>()));
        Check.I32(n, Check.Scalar, 3);
    }

    [Fact]
    public void HasAuxAuxIsNotPartOfTheLinearProgram()
    {
        var aux = Jax.MakeJaxpr(Jax.Grad((Tensor x) => (Sin(x), Cos(x) * Exp(x)), hasAux: true))(1f);
        var plain = Jax.MakeJaxpr(Jax.Grad((Tensor x) => Sin(x)))(1f);
        Assert.Empty(aux.Verify());
        // the aux adds its primal equations (cos, the sin that cos's jvp rule evaluates, exp, mul)
        // and nothing to the backward pass, where cos's tangent would bring a neg
        Assert.Equal(plain.EquationCount + 4, aux.EquationCount);
        Assert.DoesNotContain("neg", aux.ToString());
        Assert.Equal(["f32[]", "f32[]"], aux.OutTypes);
    }
}
