// `--probe stages`: the Jit(JacRev(loop)) compile taken apart at the jit's default pipeline (the
// passes of Jit.registry in Jit.defaultPipeline's order), then the runtime compile: each stage's
// time and allocation (a full collection before each run), then what one gen0 collection costs
// with each stage's output young and alive. `--probe gclog`: the same stages compiled back to
// back, no collection forced, and where the collector's own collections land. Allocation and the
// collections are the firm numbers on a noisy machine; see bench/README.md (sessions 8 and 9).
using System.Diagnostics;
using Cotangent.Core;
using static Cotangent.Jnp;
using LaxJaxpr = Cotangent.Core.ClosedJaxpr<Cotangent.Core.Dialects.Lax.Prim>;

namespace Cotangent.Bench;

internal static class CompileStages
{
    private static readonly Tensor Rows = Array(Enumerable.Range(0, 1000).Select(i => 0.5f + i / 2000f).ToArray());

    private static LaxJaxpr Trace() => Jax.Jit(Jax.JacRev(AutodiffBenchmarks.Loop)).Lower(Rows).Jaxpr.Core;

    /// <summary>The default pipeline's passes, in order.</summary>
    private static readonly PassManager.Pass<Jit.Module>[] Pipeline =
        Jit.defaultPipeline.Select(name => Jit.registry.First(p => p.Name == name)).ToArray();

    private static Jit.Module RunPass(PassManager.Pass<Jit.Module> pass, Jit.Module m) => pass.Run.Invoke(m).Item1;

    private static object RuntimeCompile(Jit.Module m) => Cotangent.Core.Backend.Runtime.compile(((Jit.Module.LoopModule)m).Item);

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
        Console.WriteLine("compile stages of Jit(JacRev(loop)), 1000 rows (calling thread's allocation)");
        var traced = Measure("trace (Lower)", Trace, reps);
        var module = Jit.Module.NewLaxModule(traced);
        foreach (var pass in Pipeline)
        {
            var input = module;
            module = Measure(pass.Name, () => RunPass(pass, input), reps);
        }
        var program = module;
        Measure("runtime compile (emission, .NET JIT)", () => RuntimeCompile(program), reps);
        Measure("whole compile", () => Jit.compile(traced), reps);
        Measure("end to end (trace, compile, run)", () => Jax.Jit(Jax.JacRev(AutodiffBenchmarks.Loop)).Invoke(Rows), reps);
        Console.WriteLine("  gen0 pause (promoted) with each stage's output young and alive:");
        for (int r = 0; r < Math.Min(reps, 3); r++)
        {
            GC.Collect(); GC.Collect();
            var outputs = new List<object> { Trace() };
            var pauses = new List<string> { $"trace {Gen0()}" };
            var m = Jit.Module.NewLaxModule((LaxJaxpr)outputs[0]);
            foreach (var pass in Pipeline)
            {
                m = RunPass(pass, m);
                outputs.Add(m);
                pauses.Add($"{pass.Name} {Gen0()}");
            }
            outputs.Add(RuntimeCompile(m));
            pauses.Add($"runtime {Gen0()}");
            GC.KeepAlive(outputs);
            Console.WriteLine("    " + string.Join(" | ", pauses));
        }
    }

    /// Compiles back to back (after five warm-ups), stage by stage, and reports the collections
    /// that land in each stage: how many of each generation, the bytes they promoted and their
    /// pauses, per compile. This is the steady state the BDN compile benchmark runs in.
    public static void SteadyState(int compiles)
    {
        // per stage: collections by generation, and the promoted bytes and pause of the collections
        // seen at each check (the last one's when several landed in one stage at once)
        var byStage = new Dictionary<string, (int[] Gens, int Checks, double Promoted, double Pause)>();
        int seen = GC.CollectionCount(0);
        void Check(string stage)
        {
            int now = GC.CollectionCount(0);
            if (now == seen) return;
            var info = GC.GetGCMemoryInfo(GCKind.Any);
            var (gens, checks, promoted, pause) = byStage.TryGetValue(stage, out var t) ? t : (new int[3], 0, 0.0, 0.0);
            gens[Math.Min(info.Generation, 2)] += now - seen;
            byStage[stage] = (gens, checks + 1, promoted + info.PromotedBytes / 1e6, pause + info.PauseDurations[0].TotalMilliseconds);
            seen = now;
        }
        void Compile()
        {
            var module = Jit.Module.NewLaxModule(Trace());
            Check("trace");
            foreach (var pass in Pipeline)
            {
                module = RunPass(pass, module);
                Check(pass.Name);
            }
            GC.KeepAlive(RuntimeCompile(module));
            Check("runtime compile");
        }
        for (int r = 0; r < 5; r++) Compile();
        byStage.Clear();
        seen = GC.CollectionCount(0);
        var pauseBefore = GC.GetTotalPauseDuration();
        var times = new List<double>();
        for (int r = 0; r < compiles; r++)
        {
            var watch = Stopwatch.StartNew();
            Compile();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        Console.WriteLine($"collections landing in each stage of {compiles} back-to-back JacRev compiles (promoted and pause: the last collection's when one stage saw several at once)");
        foreach (var (stage, (gens, checks, promoted, pause)) in byStage)
            Console.WriteLine($"  {stage,-18} gen0/1/2 {gens[0]}/{gens[1]}/{gens[2]}  promoted {promoted / checks,5:F1} MB each  pause {pause / compiles,6:F1} ms per compile");
        Console.WriteLine($"  all stages: {byStage.Values.Sum(t => t.Gens.Sum()) / (double)compiles:F2} collections and {(GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds / compiles:F1} ms of pause per compile; compile median {times[compiles / 2]:F1} ms, mean {times.Average():F1} ms");
    }

    /// <summary>`--probe warm`: fresh JacRev compiles in this process, a full collection before each
    /// (not timed), their medians by tens: how many compiles the .NET JIT takes to optimize the
    /// compiler's own code, and a compile's time with no collection in it.</summary>
    public static void Warmup(int compiles)
    {
        var times = new double[compiles];
        for (int i = 0; i < compiles; i++)
        {
            GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
            var watch = Stopwatch.StartNew();
            Jax.Jit(Jax.JacRev(AutodiffBenchmarks.Loop)).Invoke(Rows);
            times[i] = watch.Elapsed.TotalMilliseconds;
        }
        Console.WriteLine("JacRev compiles in a fresh process, a full collection before each (not timed)");
        for (int b = 0; b < compiles; b += 10)
        {
            var ten = times[b..Math.Min(compiles, b + 10)].OrderBy(t => t).ToArray();
            Console.WriteLine($"  compiles {b + 1,3}-{b + ten.Length,3}: median {ten[ten.Length / 2],6:F1} ms, min {ten[0],6:F1} ms");
        }
    }

    private static object? _sink;

    /// <summary>`--probe gccliff`: one gen0 collection's pause with N survivors scattered among 1.2M
    /// dead objects. Past the collector's mark list (about 100k entries) it walks every object of
    /// the generation, so the pause jumps; a traced 26k-equation program is ~150k objects.</summary>
    public static void GcCliff()
    {
        const int total = 1_200_000;
        foreach (var survivors in new[] { 10_000, 50_000, 60_000, 70_000, 80_000, 90_000, 110_000, 150_000, 250_000 })
        {
            var pauses = new List<double>();
            for (int rep = 0; rep < 5; rep++)
            {
                GC.Collect();
                var keep = new object[survivors];
                int every = total / survivors, kept = 0;
                for (int i = 0; i < total; i++)
                {
                    var o = new int[2];
                    if (i % every == 0 && kept < survivors) keep[kept++] = o;
                    else _sink = o;
                }
                var watch = Stopwatch.StartNew();
                GC.Collect(0);
                pauses.Add(watch.Elapsed.TotalMilliseconds);
                GC.KeepAlive(keep);
            }
            pauses.Sort();
            Console.WriteLine($"  {survivors,7} survivors among {total}: gen0 collection median {pauses[2],6:F2} ms");
        }
    }
}
