// Transformations composed: higher derivatives, forward over reverse, and the jaxprs of
// transformed functions (which must verify), including pytree functions whose jaxprs show the
// flattened leaves in JAX's order.
using Cotangent;
using Xunit;
using static Cotangent.Jnp;

namespace Cotangent.Tests;

public class CompositionTests
{
    private static Tensor V(params float[] xs) => Array(xs);

    private static Tensor Fourth(Tensor x) => x * x * x * x;

    [Fact]
    public void GradOfGradOfGradOfXToTheFourthIs24X()
    {
        Check.F32(Jax.Grad(Fourth)(2f), Check.Scalar, 32);
        Check.F32(Jax.Grad(Jax.Grad(Fourth))(2f), Check.Scalar, 48);
        Check.F32(Jax.Grad(Jax.Grad(Jax.Grad(Fourth)))(2f), Check.Scalar, 48);
        Check.F32(Jax.Grad(Jax.Grad(Jax.Grad(Jax.Grad(Fourth))))(2f), Check.Scalar, 24);
    }

    [Fact]
    public void GradOfAGradientNormOverPytrees()
    {
        // g(p) = |grad_p f|^2 with f = sum(w^2 b): grad = (2wb, w^2); d/dw |.|^2 = 8wb^2 + 4w^3
        Func<Tensor[], Tensor> f = p => Sum(p[0] * p[0] * p[1]);
        var g = Jax.Grad((Tensor[] p) => Tree.Leaves(Jax.Grad(f)(p)).Aggregate((Tensor)0f, (acc, t) => acc + Sum(t * t)))([V(1), V(2)]);
        Check.F32(g[0], [1], 8 * 1 * 4 + 4 * 1);
        Check.F32(g[1], [1], 8 * 1 * 2);
    }

    [Fact]
    public void JvpOfVjpIsTheVjpOfTheJvpDirection()
    {
        // h(x, u) = vjp(f, x)(u) = J(x)^T u; its jvp along (tx, 0) is (d/dx J^T u) tx
        Func<Tensor, Tensor> f = x => Sin(x) * x;
        Func<Tensor, Tensor, Tensor> pulled = (x, u) => Jax.Vjp(f, x).Pullback(u);
        var x0 = V(0.5f, 1.5f);
        var (p, t) = Jax.Jvp(pulled, (x0, V(1, 1)), (V(1, 0), V(0, 0)));
        // f'(x) = sin x + x cos x, f''(x) = 2 cos x - x sin x
        Check.F32(p, [2], MathF.Sin(0.5f) + 0.5f * MathF.Cos(0.5f), MathF.Sin(1.5f) + 1.5f * MathF.Cos(1.5f));
        Check.F32(t, [2], 2 * MathF.Cos(0.5f) - 0.5f * MathF.Sin(0.5f), 0);
        // the same through pytrees
        var (_, tp) = Jax.Jvp((Tensor[] xs) => Jax.Vjp((Tensor[] ys) => Sum(ys[0] * ys[1]), xs).Pullback(1f), [V(2), V(3)], [V(1), V(0)]);
        Check.F32(tp[0], [1], 0);
        Check.F32(tp[1], [1], 1);
    }

    [Fact]
    public void JaxprsOfTransformedFunctionsVerify()
    {
        Func<Tensor, Tensor, Tensor> f = (x, y) => Sum(Tanh(x * y) * x);
        var jaxprs = new[]
        {
            Jax.MakeJaxpr(Jax.Grad(f))(V(1, 2), V(3, 4)),
            Jax.MakeJaxpr(Jax.Grad(f, 1))(V(1, 2), V(3, 4)),
            Jax.MakeJaxpr(Jax.Vmap(f))(Zeros([5, 2]), Zeros([5, 2])),
            Jax.MakeJaxpr(Jax.JacFwd(f))(V(1, 2), V(3, 4)),
            Jax.MakeJaxpr(Jax.JacRev(Tanh))(V(1, 2)),
            Jax.MakeJaxpr(Jax.Hessian(f))(V(1, 2), V(3, 4)),
            Jax.MakeJaxpr(Jax.Vmap(Jax.Grad(f), [null, 0]))(V(1, 2), Zeros([5, 2])),
            Jax.MakeJaxpr((Tensor x) => Jax.Linearize(Sin, x).Jvp(x))(V(1)),
            Jax.MakeJaxpr((Tensor x) => Jax.LinearTranspose((Tensor t) => t * 3f, x)(x))(V(1)),
        };
        foreach (var j in jaxprs)
        {
            Assert.Empty(j.Verify());
            Assert.True(j.EquationCount > 0, j.ToString());
        }
        Assert.Equal(["f32[2]"], jaxprs[0].OutTypes);
        Assert.Equal(["f32[5]"], jaxprs[2].OutTypes);
        Assert.Equal(["f32[2]"], jaxprs[3].OutTypes);
        Assert.Equal(["f32[2,2]"], jaxprs[5].OutTypes);
        Assert.Equal(["f32[5,2]"], jaxprs[6].OutTypes);
    }

    [Fact]
    public void TheJaxprOfAPytreeFunctionShowsItsLeavesInJaxsOrder()
    {
        var ps = new Dictionary<string, Tensor> { ["w"] = Zeros([3, 2]), ["b"] = Zeros([2]) };
        var jaxpr = Jax.MakeJaxpr((Dictionary<string, Tensor> p, Tensor[] x) => (Matmul(x[0], p["w"]) + p["b"], new[] { Sum(p["w"]) }))(ps, [Zeros([4, 3])]);
        Assert.Equal(["f32[2]", "f32[3,2]", "f32[4,3]"], jaxpr.InTypes); // 'b' before 'w'
        Assert.Equal(["f32[4,2]", "f32[]"], jaxpr.OutTypes);
        Assert.Empty(jaxpr.Verify());
        Assert.StartsWith("{ lambda ; a:f32[2] b:f32[3,2] c:f32[4,3]. let", jaxpr.ToString());
    }

    [Fact]
    public void TheJaxprOfAPytreeGradientVerifies()
    {
        Func<IReadOnlyList<Tensor>, Tensor, Tensor> loss = (ps, x) => Sum(Square(Matmul(x, ps[0]) + ps[1]));
        IReadOnlyList<Tensor> ps = [Zeros([3, 2]), Zeros([2])];
        var grad = Jax.MakeJaxpr(Jax.Grad(loss))(ps, Zeros([4, 3]));
        Assert.Equal(["f32[3,2]", "f32[2]", "f32[4,3]"], grad.InTypes);
        Assert.Equal(["f32[3,2]", "f32[2]"], grad.OutTypes);
        Assert.Empty(grad.Verify());
        var perExample = Jax.MakeJaxpr(Jax.Vmap(Jax.Grad(loss), [null, 0]))(ps, Zeros([5, 4, 3]));
        Assert.Equal(["f32[5,3,2]", "f32[5,2]"], perExample.OutTypes);
        Assert.Empty(perExample.Verify());
        var jac = Jax.MakeJaxpr(Jax.JacFwd((Tensor[] p) => Matmul(Zeros([4, 3]) + 1f, p[0]) + p[1]))(new[] { Zeros([3, 2]), Zeros([2]) });
        Assert.Equal(["f32[4,2,3,2]", "f32[4,2,2]"], jac.OutTypes);
        Assert.Empty(jac.Verify());
    }

    [Fact]
    public void AGradientJaxprMatchesJaxs()
    {
        // jax.make_jaxpr(jax.grad(lambda p: jnp.sum(p['w'] * p['b'])))({'w': 1., 'b': 2.}) up to
        // the pytree: inputs b, w (sorted), outputs the gradients in the same order
        var jaxpr = Jax.MakeJaxpr(Jax.Grad((Dictionary<string, Tensor> p) => p["w"] * p["b"]))(new Dictionary<string, Tensor> { ["w"] = 1f, ["b"] = 2f });
        Assert.Equal("""
            { lambda ; a:f32[] b:f32[]. let
                _:f32[] = mul b a
                c:f32[] = mul b 1.0
                d:f32[] = mul 1.0 a
              in (c, d) }
            """, jaxpr.ToString());
    }
}
