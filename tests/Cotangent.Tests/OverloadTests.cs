// The overload sets bind as the facade contract promises: method groups of 1-4 tensors bind to
// the exact-arity overloads and return delegates of the same arity; pytree lambdas bind to the
// generic overloads and keep their types.
using Cotangent;
using Xunit;
using static Cotangent.Jnp;

namespace Cotangent.Tests;

public class OverloadTests
{
    private static Tensor F1(Tensor x) => Sum(x * x);
    private static Tensor F2(Tensor x, Tensor y) => x * y;
    private static Tensor F3(Tensor x, Tensor y, Tensor z) => x * y * z;
    private static Tensor F4(Tensor x, Tensor y, Tensor z, Tensor w) => x * y * z * w;

    [Fact]
    public void MethodGroupsBindToDelegatesOfTheSameArity()
    {
        Assert.IsType<Func<Tensor, Tensor>>(Jax.Grad(F1));
        Assert.IsType<Func<Tensor, Tensor, Tensor>>(Jax.Grad(F2));
        Assert.IsType<Func<Tensor, Tensor, Tensor, Tensor>>(Jax.Grad(F3));
        Assert.IsType<Func<Tensor, Tensor, Tensor, Tensor, Tensor>>(Jax.Grad(F4));
        Assert.IsType<Func<Tensor, Tensor, Tensor[]>>(Jax.Grad(F2, [0, 1]));
        Assert.IsType<Func<Tensor, (Tensor, Tensor)>>(Jax.ValueAndGrad(F1));
        Assert.IsType<Func<Tensor, Tensor, Tensor, Tensor, (Tensor, Tensor)>>(Jax.ValueAndGrad(F4));
        Assert.IsType<Func<Tensor, Tensor>>(Jax.JacFwd(Sin));
        Assert.IsType<Func<Tensor, Tensor, Tensor>>(Jax.JacFwd(F2));
        Assert.IsType<Func<Tensor, Tensor, Tensor, Tensor>>(Jax.JacRev(F3));
        Assert.IsType<Func<Tensor, Tensor>>(Jax.Hessian(F1));
        Assert.IsType<Func<Tensor, Tensor, Tensor>>(Jax.Hessian(F2));
        Assert.IsType<Func<Tensor, Tensor>>(Jax.Vmap(Sin));
        Assert.IsType<Func<Tensor, Tensor, Tensor, Tensor, Tensor>>(Jax.Vmap(F4));
        Assert.IsType<Func<Tensor, Tensor, ClosedJaxpr>>(Jax.MakeJaxpr(Jax.Grad(F2)));
        Assert.IsType<Func<Tensor, Tensor, Tensor, Tensor, ClosedJaxpr>>(Jax.MakeJaxpr(F4));
        Assert.IsType<Func<Tensor, Tensor, Tensor>>(Jax.Linearize(F2, 1f, 2f).Jvp);
        Assert.IsType<Func<Tensor, (Tensor, Tensor)>>(Jax.Vjp(F2, 1f, 2f).Pullback);
        Assert.IsType<Func<Tensor, (Tensor, Tensor)>>(Jax.LinearTranspose(F2, 1f, 2f));
        // and the DESIGN example
        Assert.Empty(Jax.MakeJaxpr(Jax.JacFwd(F2))(1f, 1f).Verify());
    }

    [Fact]
    public void PytreeLambdasKeepTheirTypes()
    {
        Func<IReadOnlyList<Tensor>, Tensor, IReadOnlyList<Tensor>> g = Jax.Grad((IReadOnlyList<Tensor> ps, Tensor x) => Sum(ps[0] * x));
        Func<Dictionary<string, Tensor>, Dictionary<string, Tensor>> gd = Jax.Grad((Dictionary<string, Tensor> d) => Sum(d["a"]));
        Func<(Tensor, Tensor[]), (Tensor, Tensor[])> gt = Jax.Grad(((Tensor, Tensor[]) t) => Sum(t.Item1));
        Func<Tensor[], Tensor[]> vm = Jax.Vmap((Tensor[] xs) => xs);
        Func<Tensor, Dictionary<string, Tensor>> jo = Jax.JacRev((Tensor x) => new Dictionary<string, Tensor> { ["y"] = x });
        Assert.NotNull(g);
        Assert.NotNull(gd);
        Assert.NotNull(gt);
        Assert.NotNull(vm);
        Assert.NotNull(jo);
    }
}
