// Jit's AOT stages (Lower, Compile, AsText, Compiled.Invoke) and JitOptions as users call them:
// the texts are the jaxpr and the fused program, the executable matches the function, options
// reach the pass manager and its dumps reach Output, and jit composes with the transformations.
using System.Text.RegularExpressions;
using Cotangent;
using Cotangent.Core;
using Xunit;
using static Cotangent.Jnp;

namespace Cotangent.Tests;

public class JitStagesTests
{
    private static Tensor F(Tensor x1, Tensor x2) => (x1 / x2 - Exp(x2)) * (Sin(x1 / x2) + x1 / x2 - Exp(x2));

    private static int Count(string text, string pattern) => Regex.Matches(text, pattern).Count;

    private static float[] Floats(int n, int seed, float lo, float hi)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * random.NextSingle()).ToArray();
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance = 1e-6)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.DType, actual.DType);
        var e = expected.ToArray<float>();
        var a = actual.ToArray<float>();
        for (var i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tolerance * Math.Max(1, Math.Abs(e[i])), $"element {i}: expected {e[i]}, got {a[i]}");
    }

    /// <summary>Asserts that <paramref name="actual"/> is F(x, y) within 1e-6 of the size of F's
    /// terms, (|x/y| + e^y)(1 + |x/y| + e^y): F subtracts e^y from x/y, so float32 results that
    /// round exp and sin differently (the compiled kernels use their own approximations) differ
    /// by up to ~1.1e-6 relative to F itself, though both are that close to float64 F.</summary>
    private static void AssertIsF(Tensor x, Tensor y, Tensor actual)
    {
        var expected = F(x, y);
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.DType, actual.DType);
        var (xs, ys, e, a) = (x.ToArray<float>(), y.ToArray<float>(), expected.ToArray<float>(), actual.ToArray<float>());
        for (var i = 0; i < e.Length; i++)
        {
            var q = Math.Abs((double)xs[i] / ys[i]);
            var scale = (q + Math.Exp(ys[i])) * (1 + q + Math.Exp(ys[i]));
            Assert.True(Math.Abs(e[i] - a[i]) <= 1e-6 * scale, $"element {i}: expected {e[i]}, got {a[i]}");
        }
    }

    // ---- Lower and Compile -------------------------------------------------------------------

    [Fact]
    public void LoweredTextIsTheJaxpr()
    {
        Assert.Equal(Jax.MakeJaxpr(F)(1f, 1f).ToString(), Jax.Jit(F).Lower(1f, 1f).AsText());
        var x = Jnp.Array([1f, 2f, 3f]);
        Tensor G(Tensor t) => Sum(Sin(t) * 2);
        Assert.Equal(Jax.MakeJaxpr(G)(x).ToString(), Jax.Jit(G).Lower(x).AsText());
        Assert.Equal(["f32[3]"], Jax.Jit(G).Lower(x).InTypes);
    }

    [Fact]
    public void CompiledTextIsTheFusedProgram()
    {
        var text = Jax.Jit(F).Lower(1f, 1f).Compile().AsText();
        var loops = text.IndexOf("loop.func", StringComparison.Ordinal);
        Assert.True(loops > 0, text);
        var kernels = text[..loops];
        Assert.Equal(1, Count(kernels, @"kernel\.fusion"));
        Assert.Equal(1, Count(kernels, @"= div "));
        Assert.Equal(1, Count(kernels, @"= exp "));
    }

    [Fact]
    public void CompilingTwiceReturnsTheSameExecutable()
    {
        var jitted = Jax.Jit(F);
        var first = jitted.Lower(1f, 1f).Compile();
        Assert.Same(first, jitted.Lower(2f, 3f).Compile());
        Assert.NotSame(first, jitted.Lower(Jnp.Array([1f, 2f]), Jnp.Array([1f, 2f])).Compile());
        Assert.Equal(1 + 1, jitted.TraceCount);
    }

    [Fact]
    public void LowerCompileReusesTheExecutableOfCalls()
    {
        var output = new StringWriter();
        var jitted = Jax.Jit(F, new JitOptions { Timing = true, Output = output });
        jitted.Invoke(1f, 2f);
        Assert.Equal(1, Count(output.ToString(), "Execution time report"));
        var compiled = jitted.Lower(3f, 4f).Compile();
        Assert.Equal(1, Count(output.ToString(), "Execution time report"));
        Assert.Equal(1, jitted.TraceCount);
        Assert.Equal(jitted.Invoke(3f, 4f).ToScalar<float>(), compiled.Invoke(3f, 4f).ToScalar<float>());
    }

    [Fact]
    public void CompiledInvokeEqualsTheFunctionOnScalars()
    {
        var compiled = Jax.Jit(F).Lower(1f, 1f).Compile();
        foreach (var (a, b) in new[] { (1f, 1f), (2f, 0.5f), (-1.5f, 3f) })
            AssertIsF(a, b, compiled.Invoke(a, b));
        AssertIsF(2f, 0.5f, compiled.Invoke([2f, 0.5f]));
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(100003)]
    public void CompiledInvokeEqualsTheFunctionOnVectors(int n)
    {
        var x = Jnp.Array(Floats(n, 1, -2f, 2f));
        var y = Jnp.Array(Floats(n, 2, 0.5f, 2f));
        var compiled = Jax.Jit(F).Lower(x, y).Compile();
        AssertIsF(x, y, compiled.Invoke(x, y));
        AssertIsF(x, y, Jax.Jit(F).Invoke(x, y));
    }

    [Fact]
    public void CompiledInvokeChecksTheSignature()
    {
        var compiled = Jax.Jit(F).Lower(Jnp.Array([1f, 2f, 3f]), Jnp.Array([1f, 2f, 3f])).Compile();
        var arity = Assert.Throws<ArgumentException>(() => compiled.Invoke(Jnp.Array([1f, 2f, 3f])));
        Assert.Contains("expected (f32[3], f32[3]), got (f32[3],)", arity.Message);
        var shape = Assert.Throws<ArgumentException>(() => compiled.Invoke(Jnp.Array([1f, 2f, 3f]), Jnp.Array([1f, 2f])));
        Assert.Contains("expected (f32[3], f32[3]), got (f32[3], f32[2])", shape.Message);
        var dtype = Assert.Throws<ArgumentException>(() => compiled.Invoke(Jnp.Array([1f, 2f, 3f]), Jnp.Array([1.0, 2.0, 3.0])));
        Assert.Contains("got (f32[3], f64[3])", dtype.Message);
        Assert.Throws<ArgumentNullException>(() => compiled.Invoke(null!, 1f));
    }

    // ---- JitOptions ------------------------------------------------------------------------

    [Fact]
    public void PrintIrAfterAllWritesDumpsToOutput()
    {
        var output = new StringWriter();
        var jitted = Jax.Jit(F, new JitOptions { PrintIrAfterAll = true, Output = output });
        jitted.Invoke(1f, 2f);
        var text = output.ToString();
        Assert.Contains("// -----// IR Dump After CSE (cse) //----- //", text);
        Assert.Contains("// -----// IR Dump After Fuse (fuse) //----- //", text);
        Assert.Contains("// -----// IR Dump After LowerToLoops (lower-to-loops) //----- //", text);
    }

    [Fact]
    public void TypedOptionsRenderToFlags()
    {
        var options = new JitOptions
        {
            PrintIrBefore = ["cse"],
            PrintIrAfter = ["cse", "fuse"],
            PrintIrAfterChange = true,
            DumpFormat = DumpFormat.Jaxpr,
            Pipeline = ["fuse", "lower-to-loops"],
            Flags = "--verify-each",
        };
        Assert.Equal("--print-ir-before=cse --print-ir-after=cse,fuse --print-ir-after-change --dump-format=jaxpr --pipeline=fuse,lower-to-loops --verify-each",
            options.ToFlags());
        Assert.Equal("", new JitOptions().ToFlags());
        Assert.Throws<ArgumentException>(() => new JitOptions { DisabledPasses = ["a b"] }.ToFlags());
    }

    [Fact]
    public void PrintIrBeforeNamedPassesInJaxprFormat()
    {
        var output = new StringWriter();
        Jax.Jit(F, new JitOptions { PrintIrBefore = ["cse"], DumpFormat = DumpFormat.Jaxpr, Output = output }).Invoke(1f, 2f);
        var text = output.ToString();
        Assert.Equal(1, Count(text, "IR Dump Before"));
        Assert.Contains("// -----// IR Dump Before CSE (cse) //----- //\n{ lambda ; a:f32[] b:f32[]. let", text);
    }

    [Fact]
    public void DumpDirectoryWritesOneFilePerSnapshot()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cotangent-jit-" + Guid.NewGuid().ToString("N"));
        try
        {
            var output = new StringWriter();
            Jax.Jit(F, new JitOptions { PrintIrAfterAll = true, DumpDirectory = dir, Output = output }).Invoke(1f, 2f);
            var files = Directory.GetFiles(dir).Select(Path.GetFileName).Order().ToArray();
            Assert.Contains("00_inline.ir", files);
            Assert.Contains("03_cse.ir", files);
            Assert.All(files, f => Assert.Matches(@"^\d\d_[a-z-]+\.ir$", f!));
            Assert.Contains("IR Dump After CSE (cse)", File.ReadAllText(Path.Combine(dir, "03_cse.ir")));
            Assert.DoesNotContain("IR Dump", output.ToString());
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void TimingAndPassStatisticsWriteTheirReports()
    {
        var timing = new StringWriter();
        Jax.Jit(F, new JitOptions { Timing = true, Output = timing }).Invoke(1f, 2f);
        Assert.Contains("Execution time report", timing.ToString());
        var statistics = new StringWriter();
        Jax.Jit(F, new JitOptions { PassStatistics = true, Output = statistics }).Lower(1f, 2f).Compile();
        Assert.Contains("Pass statistics report", statistics.ToString());
        Assert.DoesNotContain("Execution time report", statistics.ToString());
    }

    [Fact]
    public void ACustomPipelineStillRunsCorrectly()
    {
        var x = Jnp.Array(Floats(1000, 3, -2f, 2f));
        var y = Jnp.Array(Floats(1000, 4, 0.5f, 2f));
        var output = new StringWriter();
        var jitted = Jax.Jit(F, new JitOptions { Pipeline = ["fuse", "lower-to-loops"], PrintIrAfterAll = true, Output = output });
        AssertIsF(x, y, jitted.Invoke(x, y));
        Assert.Equal(2, Count(output.ToString(), "IR Dump After"));
        Assert.DoesNotContain("(cse)", output.ToString());
    }

    [Fact]
    public void RawFlagsReachThePassManager()
    {
        var output = new StringWriter();
        Jax.Jit(F, new JitOptions { Flags = "--print-ir-after=fuse --disable-pass=simplify --timing", Output = output }).Invoke(1f, 2f);
        var text = output.ToString();
        Assert.Equal(1, Count(text, "IR Dump After"));
        Assert.Contains("Execution time report", text);
        Assert.DoesNotContain("Simplify", text);
    }

    [Fact]
    public void AnUnknownFlagThrowsNamingIt()
    {
        var ex = Assert.Throws<CotangentException>(() => Jax.Jit(F, new JitOptions { Flags = "--print-ir-after-al" }));
        Assert.IsAssignableFrom<ArgumentException>(ex);
        Assert.Contains("unknown flag '--print-ir-after-al'", ex.Message);
        Assert.Contains("--print-ir-after-all", ex.Message); // the valid flags are listed
    }

    [Fact]
    public void AnUnknownPassThrowsNamingItWhenCompiled()
    {
        var jitted = Jax.Jit(F, new JitOptions { Pipeline = ["fuse", "lower-to-lops"] });
        var ex = Assert.ThrowsAny<ArgumentException>(() => jitted.Invoke(1f, 2f));
        Assert.Contains("unknown pass 'lower-to-lops'", ex.Message);
    }

    [Fact]
    public void NullOptionsAreRejected() =>
        Assert.Throws<ArgumentNullException>(() => Jax.Jit(F, null!));

    // ---- calls and composition -------------------------------------------------------------

    [Fact]
    public void ANewShapeRecompilesAndComputesRightResults()
    {
        var jitted = Jax.Jit(F);
        var a = Jnp.Array([1f, 2f]);
        var b = Jnp.Array([0.5f, 1.5f, 2.5f]);
        AssertIsF(a, a, jitted.Invoke(a, a));
        Assert.Equal(1, jitted.TraceCount);
        AssertIsF(b, b, jitted.Invoke(b, b));
        Assert.Equal(2, jitted.TraceCount);
        AssertIsF(a, 2f * a, jitted.Invoke(a, 2f * a));
        Assert.Equal(2, jitted.TraceCount);
    }

    [Fact]
    public void JitOfGradEqualsGrad() =>
        AssertClose(Jax.Grad(F)(1f, 2f), Jax.Jit(Jax.Grad(F)).Invoke(1f, 2f));

    [Fact]
    public void GradOfJitEqualsGrad()
    {
        AssertClose(Jax.Grad(F)(1f, 2f), Jax.Grad(Jax.Jit(F))(1f, 2f));
        AssertClose(Jax.Grad(F, 1)(0.5f, 1.5f), Jax.Grad(Jax.Jit(F), 1)(0.5f, 1.5f));
    }

    [Fact]
    public void VmapOfJitEqualsVmap()
    {
        var xs = Jnp.Array(Floats(7, 5, -2f, 2f));
        var ys = Jnp.Array(Floats(7, 6, 0.5f, 2f));
        AssertClose(Jax.Vmap(F)(xs, ys), Jax.Vmap(Jax.Jit(F))(xs, ys));
    }

    [Fact]
    public void BranchingOnATracedValueRaisesTheConcretizationError()
    {
        var jitted = Jax.Jit((Tensor x) => x.ToScalar<float>() > 0 ? x : -x); // the branch on a tracer
        var ex = Assert.Throws<Tracing.ConcretizationException>(() => jitted.Invoke(1f));
        Assert.NotNull(ex.CallSite);
        Assert.EndsWith("JitStagesTests.cs", ex.CallSite!.Value.File);
        Assert.Equal(LineOf("the branch on a tracer"), ex.CallSite.Value.Line);
        Assert.Throws<Tracing.ConcretizationException>(() => jitted.Lower(1f));
    }

    [Fact]
    public void ConcurrentCallsGetRightResults()
    {
        var jitted = Jax.Jit(F);
        var inputs = Enumerable.Range(0, 2).Select(t => (X: Jnp.Array(Floats(100003, 10 + t, -2f, 2f)), Y: Jnp.Array(Floats(100003, 20 + t, 0.5f, 2f)))).ToArray();
        using var start = new Barrier(2);
        var results = new Tensor[2][];
        var errors = new Exception?[2];
        var threads = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                results[t] = Enumerable.Range(0, 20).Select(_ => jitted.Invoke(inputs[t].X, inputs[t].Y)).ToArray();
            }
            catch (Exception ex)
            {
                errors[t] = ex;
            }
        })).ToArray();
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        Assert.All(errors, Assert.Null);
        for (var t = 0; t < 2; t++)
            foreach (var r in results[t]) AssertIsF(inputs[t].X, inputs[t].Y, r);
    }

    private static int LineOf(string marker, [System.Runtime.CompilerServices.CallerFilePath] string file = "") =>
        File.ReadAllLines(file).Select((line, i) => (line, i)).First(p => p.line.Contains("// " + marker)).i + 1;
}
