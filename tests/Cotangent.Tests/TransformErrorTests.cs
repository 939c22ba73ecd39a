// Errors of the transformations reach the caller as ArgumentExceptions that name the
// transformation, the argument (with its path inside a pytree) and the shapes.
using Cotangent;
using Xunit;
using static Cotangent.Jnp;

namespace Cotangent.Tests;

public class TransformErrorTests
{
    private static Tensor V(params float[] xs) => Array(xs);

    [Fact]
    public void GradOfANonScalarOutputNamesItsType()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Jax.Grad((Tensor x) => x * 2f)(V(1, 2)));
        Assert.Contains("grad", ex.Message);
        Assert.Contains("scalar output", ex.Message);
        Assert.Contains("f32[2]", ex.Message);
        Assert.IsAssignableFrom<ArgumentException>(ex);
    }

    [Fact]
    public void GradOfAPytreeOutputWithoutHasAuxSaysSo()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Jax.Grad((Tensor x) => (Sum(x), x), hasAux: false)(V(1, 2)));
        Assert.Contains("PyTreeDef((*, *))", ex.Message);
        Assert.Contains("hasAux", ex.Message);
    }

    [Fact]
    public void GradWithRespectToAnIntegerInputNamesTheArgument()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Jax.Grad((Tensor x, Tensor y) => Sum(x * y), 1)(V(1), Array([2])));
        Assert.Contains("real-valued (float) inputs", ex.Message);
        Assert.Contains("argument 1 is i32[1]", ex.Message);
        var tree = Assert.ThrowsAny<ArgumentException>(() =>
            Jax.Grad((Dictionary<string, Tensor[]> d) => Sum(d["p"][0]))(new() { ["p"] = [V(1), Array([1, 2])] }));
        Assert.Contains("argument 0 at ['p'][1] is i32[2]", tree.Message);
        // the integer argument is fine where it is not differentiated
        Check.F32(Jax.Grad((Tensor x, Tensor n) => Sum(x * n))(V(1), Array([3])), [1], 3);
        Assert.Contains("jacfwd", Assert.ThrowsAny<ArgumentException>(() => Jax.JacFwd((Tensor x) => x)(Array([1]))).Message);
        Assert.Contains("hessian", Assert.ThrowsAny<ArgumentException>(() => Jax.Hessian((Tensor[] x) => Sum(x[0]))([Array([1])])).Message);
    }

    [Fact]
    public void ArgnumsOutOfRangeNamesTheArgumentCount()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Jax.Grad((Tensor x, Tensor y) => x * y, 2)(1f, 2f));
        Assert.Contains("argnums 2 is out of range for a function of 2 argument(s)", ex.Message);
        Assert.Contains("argnums -3", Assert.ThrowsAny<ArgumentException>(() => Jax.Grad((Tensor x, Tensor y) => x * y, [0, -3])(1f, 2f)).Message);
        Assert.Contains("argnums 5", Assert.ThrowsAny<ArgumentException>(() => Jax.JacRev((Tensor x, Tensor y) => x * y, 5)(1f, 2f)).Message);
        Assert.Contains("argnums 2", Assert.ThrowsAny<ArgumentException>(() => Jax.Grad((Tensor[] x, Tensor y) => y, 2)([V(1)], 2f)).Message);
    }

    [Fact]
    public void CoreErrorsSurfaceWithTheCallSite()
    {
        // raised by the F# core while tracing f: the message points at this file
        var ex = Assert.ThrowsAny<ArgumentException>(() => Jax.Grad((Tensor x) => Sum(x + Zeros([3])))(V(1, 2)));
        Assert.Contains("f32[2]", ex.Message);
        Assert.Contains("f32[3]", ex.Message);
        Assert.Contains("TransformErrorTests.cs", ex.Message);
    }

    [Fact]
    public void MismatchedVmapAxisSizesNameEachArgument()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Jax.Vmap((Tensor x, Tensor y) => x + y)(V(1, 2), V(1, 2, 3)));
        Assert.Contains("inconsistent sizes", ex.Message);
        Assert.Contains("argument 0 of type f32[2] has size 2", ex.Message);
        Assert.Contains("argument 1 of type f32[3] has size 3", ex.Message);
    }

    [Fact]
    public void AnArgumentTypeThatCannotBeRebuiltIsExplained()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() =>
            Jax.Grad((System.Collections.Immutable.ImmutableArray<Tensor> xs) => Sum(xs[0]))(System.Collections.Immutable.ImmutableArray.Create(V(1))));
        Assert.Contains("cannot be passed as ImmutableArray<Tensor>", ex.Message);
        var notATree = Assert.ThrowsAny<ArgumentException>(() => Jax.Grad((HashSet<Tensor> xs) => Sum(xs.First()))([V(1)]));
        Assert.Contains("is not a pytree", notATree.Message);
    }

    [Fact]
    public void AnOutputStructureThatChangesBetweenCallsIsAnError()
    {
        var calls = 0;
        var ex = Assert.ThrowsAny<ArgumentException>(() => Jax.CheckGrads((Tensor x) => ++calls == 1 ? new[] { x } : new[] { x, x }, V(1), 1));
        Assert.Contains("PyTreeDef([*, *]) after PyTreeDef([*])", ex.Message);
    }
}
