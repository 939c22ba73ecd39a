// The facade as users call it: C# functions traced with Jax.MakeJaxpr print exactly what JAX
// prints; errors point at the user's own file and line.
using System.Runtime.CompilerServices;
using Cotangent;
using Xunit;
using static Cotangent.Jnp;

namespace Cotangent.Tests;

public class MakeJaxprTests
{
    private static Tensor F(Tensor x1, Tensor x2) => (x1 / x2 - Exp(x2)) * (Sin(x1 / x2) + x1 / x2 - Exp(x2));

    [Fact]
    public void SeedJaxprIsJaxsByteForByte()
    {
        const string expected = """
            { lambda ; a:f32[] b:f32[]. let
                c:f32[] = div a b
                d:f32[] = exp b
                e:f32[] = sub c d
                f:f32[] = div a b
                g:f32[] = sin f
                h:f32[] = div a b
                i:f32[] = add g h
                j:f32[] = exp b
                k:f32[] = sub i j
                l:f32[] = mul e k
              in (l,) }
            """;
        var jaxpr = Jax.MakeJaxpr(F)(1f, 1f);
        Assert.Equal(expected, jaxpr.ToString());
        Assert.Empty(jaxpr.Verify());
    }

    [Fact]
    public void GradOfTheSeedIsJaxsByteForByte()
    {
        const string expected = """
            { lambda ; a:f32[] b:f32[]. let
                c:f32[] = div a b
                d:f32[] = exp b
                e:f32[] = sub c d
                f:f32[] = div a b
                g:f32[] = sin f
                h:f32[] = cos f
                i:f32[] = div a b
                j:f32[] = add g i
                k:f32[] = exp b
                l:f32[] = sub j k
                _:f32[] = mul e l
                m:f32[] = mul e 1.0
                n:f32[] = mul 1.0 l
                o:f32[] = div m b
                p:f32[] = mul m h
                q:f32[] = div p b
                r:f32[] = add_any o q
                s:f32[] = div n b
                t:f32[] = add_any r s
              in (t,) }
            """;
        Assert.Equal(expected, Jax.MakeJaxpr(Jax.Grad(F))(1f, 1f).ToString());
    }

    [Fact]
    public void LambdasAndMethodGroupsOfOneToFourArgumentsTrace()
    {
        Assert.Equal("{ lambda ; a:f32[3]. let b:f32[3] = sin a in (b,) }", Jax.MakeJaxpr(Sin)(Zeros([3])).ToString());
        // 86 columns flat, so it breaks into lines as JAX's printer does
        Assert.Equal("""
            { lambda ; a:f32[] b:f32[] c:f32[]. let
                d:f32[] = mul a b
                e:f32[] = add d c
              in (e,) }
            """, Jax.MakeJaxpr((Tensor a, Tensor b, Tensor c) => a * b + c)(1f, 2f, 3f).ToString());
        Assert.Equal("{ lambda ; a:f32[] b:f32[] c:f32[] d:f32[]. let e:f32[] = sub a d in (e,) }",
            Jax.MakeJaxpr((Tensor a, Tensor b, Tensor c, Tensor d) => a - d)(1f, 2f, 3f, 4f).ToString());
    }

    [Fact]
    public void ForeachOverATracedTensorSlicesTheLeadingAxis()
    {
        var jaxpr = Jax.MakeJaxpr((Tensor v) =>
        {
            Tensor acc = 1f;
            foreach (var p in v) acc *= p;
            return acc;
        })(Zeros([2]));
        Assert.Equal("""
            { lambda ; a:f32[2]. let
                b:f32[1] = slice[limit_indices=(1,) start_indices=(0,) strides=(1,)] a
                c:f32[] = squeeze[dimensions=(0,)] b
                d:f32[] = mul 1.0 c
                e:f32[1] = slice[limit_indices=(2,) start_indices=(1,) strides=(1,)] a
                f:f32[] = squeeze[dimensions=(0,)] e
                g:f32[] = mul d f
              in (g,) }
            """, jaxpr.ToString());
    }

    [Fact]
    public void AShapeErrorNamesThePrimitiveTheShapesAndTheCallersLine()
    {
        var (line, ex) = Capture(() => Zeros([3]) + Zeros([4]));
        Assert.Contains("add", ex.Message);
        Assert.Contains("f32[3]", ex.Message);
        Assert.Contains("f32[4]", ex.Message);
        Assert.Contains($"MakeJaxprTests.cs:{line}", ex.Message);
    }

    [Fact]
    public void AnErrorWhileTracingPointsAtTheLineInsideTheTracedFunction()
    {
        int line = 0;
        var ex = Assert.ThrowsAny<ArgumentException>(() => Jax.MakeJaxpr((Tensor x) =>
        {
            line = Line(); return Sum(x, 2);
        })(Zeros([2, 3])));
        Assert.Contains("reduce_sum", ex.Message);
        Assert.Contains("axis 2", ex.Message);
        Assert.Contains($"MakeJaxprTests.cs:{line}", ex.Message);
        // nothing half-built: the next trace starts afresh
        Assert.Equal("{ lambda ; a:f32[]. let b:f32[] = cos a in (b,) }", Jax.MakeJaxpr(Cos)(1f).ToString());
    }

    private static int Line([CallerLineNumber] int line = 0) => line;

    private static (int Line, ArgumentException Error) Capture(Func<Tensor> f, [CallerLineNumber] int line = 0) =>
        (line, Assert.ThrowsAny<ArgumentException>(() => f()));
}
