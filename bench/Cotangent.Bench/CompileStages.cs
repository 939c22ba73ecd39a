// `--probe stages`: the Jit(JacRev(loop)) compile taken apart, stage by stage, through the core's
// passes directly: each stage's time and allocation (a full collection before each run), then
// what one gen0 collection costs with each stage's output young and alive. Allocation and the
// collections are the firm numbers on a noisy machine; see bench/README.md (session 8).
using System.Diagnostics;
using Cotangent.Core;
using Cotangent.Core.Passes;
using static Cotangent.Jnp;
using LaxJaxpr = Cotangent.Core.ClosedJaxpr<Cotangent.Core.Dialects.Lax.Prim>;

namespace Cotangent.Bench;

internal static class CompileStages
{
    private static readonly Tensor Rows = Array(Enumerable.Range(0, 1000).Select(i => 0.5f + i / 2000f).ToArray());

    private static LaxJaxpr Trace() => Jax.Jit(Jax.JacRev(AutodiffBenchmarks.Loop)).Lower(Rows).Jaxpr.Core;

    /// <summary>Runs `stage` `reps` times after a full collection each; prints its median time and allocation.</summary>
    private static T Measure<T>(string name, Func<T> stage, int reps)
    {
        var times = new List<double>();
        long allocated = 0;
        T result = default!;
        for (int r = 0; r < reps; r++)
        {
            GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
            long before = GC.GetAllocatedBytesForCurrentThread();
            var sw = Stopwatch.StartNew();
            result = stage();
            times.Add(sw.Elapsed.TotalMilliseconds);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        times.Sort();
        Console.WriteLine($"  {name,-38} median {times[times.Count / 2],7:F1} ms  min {times[0],7:F1} ms  {allocated / 1e6,6:F1} MB allocated");
        return result;
    }

    /// <summary>One gen0 collection's pause and the bytes it promoted.</summary>
    private static string Gen0()
    {
        var before = GC.GetTotalPauseDuration();
        GC.Collect(0);
        var promoted = GC.GetGCMemoryInfo(GCKind.Ephemeral).PromotedBytes;
        return $"{(GC.GetTotalPauseDuration() - before).TotalMilliseconds,5:F1} ms ({promoted / 1e6:F1} MB)";
    }

    public static void Run(int reps)
    {
        Console.WriteLine("compile stages of Jit(JacRev(loop)), 1000 rows");
        var traced = Measure("trace (Lower)", Trace, reps);
        var inlined = Measure("inline", () => Inline.inlineCalls(traced).Item1, reps);
        var live = Measure("dce", () => Dce.dce(inlined).Item1, reps);
        var merged = Measure("cse", () => Cse.cse(live).Item1, reps);
        var simple = Measure("simplify", () => Simplify.simplify(merged).Item1, reps);
        var kernels = Measure("fuse", () => Fuse.run(simple).Item1, reps);
        var loops = Measure("lower-to-loops", () => LowerToLoops.run(kernels).Item1, reps);
        var vectors = Measure("vectorize", () => Vectorize.run(loops).Item1, reps);
        var program = Measure("fp-contract", () => FpContract.run(vectors).Item1, reps);
        Measure("runtime compile (emission, .NET JIT)", () => Cotangent.Core.Backend.Runtime.compile(program), reps);
        Measure("whole compile", () => Jit.compile(traced), reps);
        Measure("end to end (trace, compile, run)", () => Jax.Jit(Jax.JacRev(AutodiffBenchmarks.Loop)).Invoke(Rows), reps);
        Console.WriteLine($"  equations: traced {traced.Jaxpr.Eqns.Length}, simplified {simple.Jaxpr.Eqns.Length}, kernels {kernels.Jaxpr.Eqns.Length}; loop statements {program.Body.Length}");
        Console.WriteLine("  gen0 pause (promoted) with each stage's output young and alive:");
        for (int r = 0; r < Math.Min(reps, 3); r++)
        {
            GC.Collect(); GC.Collect();
            var t = Trace();
            var afterTrace = Gen0();
            var c = Cse.cse(Dce.dce(Inline.inlineCalls(t).Item1).Item1).Item1;
            var afterCse = Gen0();
            var s = Simplify.simplify(c).Item1;
            var afterSimplify = Gen0();
            var k = Fuse.run(s).Item1;
            var afterFuse = Gen0();
            var p = FpContract.run(Vectorize.run(LowerToLoops.run(k).Item1).Item1).Item1;
            var afterLoops = Gen0();
            var exe = Cotangent.Core.Backend.Runtime.compile(p);
            var afterRuntime = Gen0();
            GC.KeepAlive((t, c, s, k, p, exe));
            Console.WriteLine($"    trace {afterTrace} | cse {afterCse} | simplify {afterSimplify} | fuse {afterFuse} | loops {afterLoops} | runtime {afterRuntime}");
        }
    }
}
