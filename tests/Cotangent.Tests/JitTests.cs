// Jax.Jit as users call it: a jitted function computes what the function computes, composes with
// Grad and Vmap both ways, retraces only for a new signature, and a traced value read as a
// concrete one raises a ConcretizationException naming the user's line.
using Cotangent;
using Cotangent.Core;
using Xunit;
using static Cotangent.Jnp;

namespace Cotangent.Tests;

public class JitTests
{
    private static Tensor F(Tensor x1, Tensor x2) => (x1 / x2 - Exp(x2)) * (Sin(x1 / x2) + x1 / x2 - Exp(x2));

    private static Tensor V(params float[] xs) => Jnp.Array(xs);

    private static float Scalar(Tensor t) => t.ToScalar<float>();

    [Fact]
    public void AJittedFunctionComputesTheFunction()
    {
        var jitted = Jax.Jit(F);
        Assert.Equal(Scalar(F(1f, 1f)), Scalar(jitted.Invoke(1f, 1f)), 6);
        Assert.Equal(Scalar(F(2f, 0.5f)), Scalar(jitted.Invoke(2f, 0.5f)), 6);
        Assert.Equal("F", jitted.Name);
        Assert.Equal("<lambda>", Jax.Jit((Tensor x) => x).Name);
    }

    [Fact]
    public void GradOfJitEqualsGrad()
    {
        Assert.Equal(Scalar(Jax.Grad(F)(1f, 2f)), Scalar(Jax.Grad(Jax.Jit(F))(1f, 2f)), 6);
        Assert.Equal(Scalar(Jax.Grad(F, 1)(1f, 2f)), Scalar(Jax.Grad(Jax.Jit(F), 1)(1f, 2f)), 6);
    }

    [Fact]
    public void JitOfGradEqualsGrad()
    {
        var jitted = Jax.Jit(Jax.Grad(F));
        Assert.Equal(Scalar(Jax.Grad(F)(1f, 2f)), Scalar(jitted.Invoke(1f, 2f)), 6);
        Assert.Contains("pjit", Jax.MakeJaxpr(jitted)(1f, 2f).ToString());
    }

    [Fact]
    public void VmapOfJitEqualsVmap()
    {
        var xs = V(1, 2, 3);
        var ys = V(0.5f, 1.5f, 2.5f);
        var expected = Jax.Vmap(F)(xs, ys).ToArray<float>();
        var actual = Jax.Vmap(Jax.Jit(F))(xs, ys).ToArray<float>();
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 5);
    }

    [Fact]
    public void GradOfJitPrintsTheKnownAndTransposedPjits()
    {
        var text = Jax.MakeJaxpr(Jax.Grad(Jax.Jit((Tensor x) => Sin(x) * x)))(1f).ToString();
        Assert.Equal(2, text.Split("pjit[").Length - 1);
        Assert.Contains("name=<lambda>", text);
    }

    [Fact]
    public void ANewShapeRetraces()
    {
        var jitted = Jax.Jit((Tensor x) => Sum(Sin(x) * x));
        jitted.Invoke(V(1, 2));
        jitted.Invoke(V(3, 4));
        Assert.Equal(1, jitted.TraceCount);
        jitted.Invoke(V(1, 2, 3));
        Assert.Equal(2, jitted.TraceCount);
        jitted.Invoke(V(5, 6));
        Assert.Equal(2, jitted.TraceCount);
    }

    [Fact]
    public void BranchingOnATracedValueNamesTheCallSite()
    {
        var jitted = Jax.Jit((Tensor x) => x.ToScalar<float>() > 0 ? x : -x); // the line the error names
        var ex = Assert.Throws<Tracing.ConcretizationException>(() => jitted.Invoke(1f));
        Assert.Equal("ToScalar", ex.Primitive);
        Assert.Contains("Jnp.Where", ex.Message);
        Assert.NotNull(ex.CallSite);
        Assert.EndsWith("JitTests.cs", ex.CallSite!.Value.File);
        Assert.Equal(LineOf("the line the error names"), ex.CallSite.Value.Line);
    }

    private static int LineOf(string marker, [System.Runtime.CompilerServices.CallerFilePath] string file = "") =>
        File.ReadAllLines(file).Select((line, i) => (line, i)).First(p => p.line.Contains("// " + marker)).i + 1;
}
