// Jit workloads of DESIGN.md §8 and the jit issue (issue 4), each against a baseline measured in
// the same run:
//   JitElementwiseBenchmarks  the seed expression on 2 x 1e7 float32: jitted forward and jitted
//                             gradient of its sum w.r.t. both inputs, against hand-written
//                             Vector256 loops (VecMath and BCL transcendentals); 1 and 2 workers.
//   JitGemmBenchmarks         jitted Jnp.Matmul 512³ against the direct Gemm.Sgemm call.
//   JitMlpBenchmarks          one SGD step of an MLP 784-512-512-10 (tanh, softmax cross-entropy),
//                             batch 256, jitted, against the same step run eagerly.
//   JitCompileBenchmarks      compile time of Jit(JacRev(loop)) for the seed's 1000-step loop, the
//                             jitted loop JacRev/JacFwd per call, and jit dispatch of a scalar F.
// `dotnet run -c Release --project bench/Cotangent.Bench -- --probe` runs each workload once with
// a Stopwatch and checks the jitted results against the eager/hand-written ones (no BenchmarkDotNet).
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using Cotangent.Kernels;
using static Cotangent.Jnp;

namespace Cotangent.Bench;

/// <summary>Sets <see cref="Threads.Workers"/> for one benchmark process and restores it.</summary>
public abstract class WorkersBenchmark
{
    private int _saved;

    /// <summary>Cores the compiled code (and the hand-written loops) may use: 1 or both.</summary>
    [Params(1, 2)] public int Workers { get; set; }

    protected void SetWorkers() { _saved = Threads.Workers; Threads.Workers = Workers; }

    [GlobalCleanup] public void RestoreWorkers() => Threads.Workers = _saved;
}

/// <summary>fused_elementwise_1e7: the seed's F elementwise over two float32 vectors of 1e7
/// elements in [0.5, 2].</summary>
[MemoryDiagnoser, MedianColumn]
public class JitElementwiseBenchmarks : WorkersBenchmark
{
    public const int N = 10_000_000;
    private const int Grain = 1 << 14;
    private float[] _x1 = null!, _x2 = null!, _out = null!, _g1 = null!, _g2 = null!;
    private Tensor _t1 = null!, _t2 = null!;
    private JitFunction2 _fwd = null!, _grad = null!;

    /// <summary>The scalar function summed: its gradient w.r.t. (x1, x2) is F's elementwise
    /// derivative.</summary>
    public static Tensor SumF(Tensor x1, Tensor x2) => Sum(AutodiffBenchmarks.F(x1, x2));

    /// <summary>Both gradients in one program: the jit facade returns one tensor, so the two
    /// 1e7-element gradients are concatenated into one 2e7-element result.</summary>
    public static Tensor GradBoth(Tensor x1, Tensor x2) => Concatenate(Jax.Grad(SumF, [0, 1])(x1, x2));

    [GlobalSetup]
    public void Setup()
    {
        SetWorkers();
        var rng = new Random(0);
        _x1 = new float[N]; _x2 = new float[N];
        for (int i = 0; i < N; i++) { _x1[i] = 0.5f + 1.5f * (float)rng.NextDouble(); _x2[i] = 0.5f + 1.5f * (float)rng.NextDouble(); }
        _out = new float[N]; _g1 = new float[N]; _g2 = new float[N];
        _t1 = Array(_x1); _t2 = Array(_x2);
        _fwd = Jax.Jit(AutodiffBenchmarks.F);
        _grad = Jax.Jit(GradBoth);
        _fwd.Invoke(_t1, _t2);   // trace + compile outside the measurement
        _grad.Invoke(_t1, _t2);
    }

    [Benchmark] public Tensor JitForward() => _fwd.Invoke(_t1, _t2);

    [Benchmark] public Tensor JitGradBoth() => _grad.Invoke(_t1, _t2);

    /// <summary>Baseline: hand-written Vector256 loop, VecMath.Exp/Sin (the jit's math), into a
    /// preallocated buffer, split over <see cref="Threads.Workers"/> like compiled code.</summary>
    [Benchmark(Baseline = true)] public float[] HandForwardVecMath() { HandForward(_x1, _x2, _out, bcl: false); return _out; }

    /// <summary>The VecMath loop into a fresh 1e7-element array each call, as the jit allocates
    /// its result: the cost of the output's allocation and first touch.</summary>
    [Benchmark] public float[] HandForwardVecMathAlloc() { var o = new float[N]; HandForward(_x1, _x2, o, bcl: false); return o; }

    /// <summary>The same loop with the BCL's Vector256.Exp/Sin.</summary>
    [Benchmark] public float[] HandForwardBcl() { HandForward(_x1, _x2, _out, bcl: true); return _out; }

    /// <summary>Hand-written gradient of sum(F) w.r.t. x1 and x2 (VecMath exp/sin/cos), two
    /// preallocated outputs.</summary>
    [Benchmark] public float[] HandGradBoth() { HandGrad(_x1, _x2, _g1, _g2); return _g1; }

    public static void HandForward(float[] x1, float[] x2, float[] o, bool bcl) =>
        Threads.For(x1.Length, Grain, (lo, hi) =>
        {
            if (bcl) ForwardBcl(x1, x2, o, lo, hi); else ForwardVecMath(x1, x2, o, lo, hi);
        });

    public static void HandGrad(float[] x1, float[] x2, float[] g1, float[] g2) =>
        Threads.For(x1.Length, Grain, (lo, hi) => GradRange(x1, x2, g1, g2, lo, hi));

    private static float Scalar(float x1, float x2)
    {
        float a = x1 / x2, e = MathF.Exp(x2);
        return (a - e) * (MathF.Sin(a) + a - e);
    }

    private static void ForwardVecMath(float[] x1, float[] x2, float[] o, int lo, int hi)
    {
        ref float r1 = ref x1[0], r2 = ref x2[0], ro = ref o[0];
        int i = lo;
        for (; i + 8 <= hi; i += 8)
        {
            var a = Vector256.LoadUnsafe(ref r1, (nuint)i) / Vector256.LoadUnsafe(ref r2, (nuint)i);
            var u = a - VecMath.Exp(Vector256.LoadUnsafe(ref r2, (nuint)i));
            (u * (VecMath.Sin(a) + u)).StoreUnsafe(ref ro, (nuint)i);
        }
        for (; i < hi; i++) o[i] = Scalar(x1[i], x2[i]);
    }

    private static void ForwardBcl(float[] x1, float[] x2, float[] o, int lo, int hi)
    {
        ref float r1 = ref x1[0], r2 = ref x2[0], ro = ref o[0];
        int i = lo;
        for (; i + 8 <= hi; i += 8)
        {
            var a = Vector256.LoadUnsafe(ref r1, (nuint)i) / Vector256.LoadUnsafe(ref r2, (nuint)i);
            var u = a - Vector256.Exp(Vector256.LoadUnsafe(ref r2, (nuint)i));
            (u * (Vector256.Sin(a) + u)).StoreUnsafe(ref ro, (nuint)i);
        }
        for (; i < hi; i++) o[i] = Scalar(x1[i], x2[i]);
    }

    // f = u*v with a = x1/x2, e = exp(x2), u = a - e, v = sin(a) + u:
    //   df/da = v + u*(cos a + 1), df/de = -(u + v);  g1 = df/da / x2,  g2 = -a*g1 - (u + v)*e
    private static void GradRange(float[] x1, float[] x2, float[] g1, float[] g2, int lo, int hi)
    {
        ref float r1 = ref x1[0], r2 = ref x2[0], q1 = ref g1[0], q2 = ref g2[0];
        var one = Vector256.Create(1f);
        int i = lo;
        for (; i + 8 <= hi; i += 8)
        {
            var b = Vector256.LoadUnsafe(ref r2, (nuint)i);
            var a = Vector256.LoadUnsafe(ref r1, (nuint)i) / b;
            var e = VecMath.Exp(b);
            var u = a - e;
            var v = VecMath.Sin(a) + u;
            var da = v + u * (VecMath.Cos(a) + one);
            var d1 = da / b;
            d1.StoreUnsafe(ref q1, (nuint)i);
            (-(a * d1) - (u + v) * e).StoreUnsafe(ref q2, (nuint)i);
        }
        for (; i < hi; i++)
        {
            float b = x2[i], a = x1[i] / b, e = MathF.Exp(b), u = a - e, v = MathF.Sin(a) + u;
            float d1 = (v + u * (MathF.Cos(a) + 1f)) / b;
            g1[i] = d1; g2[i] = -a * d1 - (u + v) * e;
        }
    }

    internal void Probe()
    {
        Setup();
        var fwd = _fwd.Invoke(_t1, _t2).ToArray<float>();
        HandForward(_x1, _x2, _out, false);
        JitProbe.Compare("fused forward vs hand VecMath", fwd, _out);
        HandForward(_x1, _x2, _out, true);
        JitProbe.Compare("hand BCL vs hand VecMath", _out, fwd);
        var g = _grad.Invoke(_t1, _t2).ToArray<float>();
        HandGrad(_x1, _x2, _g1, _g2);
        JitProbe.Compare("fused grad x1 vs hand", g.AsSpan(0, N).ToArray(), _g1);
        JitProbe.Compare("fused grad x2 vs hand", g.AsSpan(N, N).ToArray(), _g2);
        JitProbe.Time("JitForward", () => JitForward());
        JitProbe.Time("HandForwardVecMath", () => HandForwardVecMath());
        JitProbe.Time("HandForwardBcl", () => HandForwardBcl());
        JitProbe.Time("JitGradBoth", () => JitGradBoth());
        JitProbe.Time("HandGradBoth", () => HandGradBoth());
        RestoreWorkers();
    }
}

/// <summary>GEMM 512×512×512 float32 through the jitted Jnp.Matmul, against the packed GEMM called
/// directly on managed arrays. 2·512³ = 268.4 MFLOP: GFLOP/s = 268.4 / (time in µs) · 1000.</summary>
[MedianColumn]
public unsafe class JitGemmBenchmarks : WorkersBenchmark
{
    private const int M = 512;
    private float[] _a = null!, _b = null!, _c = null!;
    private Tensor _ta = null!, _tb = null!;
    private JitFunction2 _matmul = null!;

    [GlobalSetup]
    public void Setup()
    {
        SetWorkers();
        var rnd = new Random(1);
        _a = new float[M * M]; _b = new float[M * M]; _c = new float[M * M];
        for (int i = 0; i < M * M; i++) { _a[i] = (float)(rnd.NextDouble() - 0.5); _b[i] = (float)(rnd.NextDouble() - 0.5); }
        _ta = Array(_a, [M, M]); _tb = Array(_b, [M, M]);
        _matmul = Jax.Jit(Matmul);
        _matmul.Invoke(_ta, _tb);
    }

    [Benchmark] public Tensor JitMatmul512() => _matmul.Invoke(_ta, _tb);

    /// <summary>Baseline: Gemm.Sgemm on the same data, parallel when Workers &gt; 1.</summary>
    [Benchmark(Baseline = true)]
    public void Sgemm512Direct()
    {
        fixed (float* a = _a, b = _b, c = _c)
            Gemm.Sgemm(false, false, M, M, M, a, M, b, M, c, M, false, parallel: Workers > 1);
    }

    internal void Probe()
    {
        Setup();
        var r = _matmul.Invoke(_ta, _tb).ToArray<float>();
        Sgemm512Direct();
        JitProbe.Compare("jit matmul vs Sgemm", r, _c);
        JitProbe.Time("JitMatmul512", () => JitMatmul512());
        JitProbe.Time("Sgemm512Direct", Sgemm512Direct);
        RestoreWorkers();
    }
}

/// <summary>mlp_train_step: MLP 784-512-512-10, tanh, softmax cross-entropy (log-softmax with the
/// max subtracted, one-hot labels as a float input), batch 256, one SGD step (lr 0.01).
/// The jit facade takes at most 4 tensors and returns one, so the six parameter tensors travel as
/// one flat vector (sliced and reshaped inside the traced function; the gradient comes back flat
/// through the slices' transposes) and the step returns [updated params..., loss]: one program
/// computes the loss, its gradient w.r.t. every parameter, and the update.</summary>
[MemoryDiagnoser, MedianColumn]
public class JitMlpBenchmarks : WorkersBenchmark
{
    public const int Batch = 256, In = 784, H = 512, Out = 10;
    private const float Lr = 0.01f;
    private static readonly (int Rows, int Cols)[] Shapes = [(In, H), (1, H), (H, H), (1, H), (H, Out), (1, Out)];
    public static readonly int ParamCount = Shapes.Sum(s => s.Rows * s.Cols);
    private Tensor _params = null!, _x = null!, _y = null!;
    private JitFunction3 _step = null!;

    public static Tensor[] Unflatten(Tensor flat)
    {
        var parts = new Tensor[Shapes.Length];
        int off = 0;
        for (int k = 0; k < Shapes.Length; k++)
        {
            var (r, c) = Shapes[k];
            var piece = Lax.Slice(flat, [off], [off + r * c]);
            parts[k] = r == 1 ? piece : Reshape(piece, r, c);
            off += r * c;
        }
        return parts;
    }

    public static Tensor Loss(Tensor flat, Tensor x, Tensor yOneHot)
    {
        var p = Unflatten(flat);
        var h1 = Tanh(Matmul(x, p[0]) + p[1]);
        var h2 = Tanh(Matmul(h1, p[2]) + p[3]);
        var logits = Matmul(h2, p[4]) + p[5];
        var shifted = logits - StopGradient(Max(logits, 1, keepDims: true));
        var logp = shifted - Log(Sum(Exp(shifted), 1, keepDims: true));
        return -Mean(Sum(yOneHot * logp, 1));
    }

    /// <summary>One SGD step: value and gradient of the loss, the updated parameters, and the loss
    /// appended as the last element.</summary>
    public static Tensor Step(Tensor flat, Tensor x, Tensor yOneHot)
    {
        var (loss, grad) = Jax.ValueAndGrad(Loss)(flat, x, yOneHot);
        return Concatenate([flat - Lr * grad, Reshape(loss, 1)]);
    }

    [GlobalSetup]
    public void Setup()
    {
        SetWorkers();
        var rng = new Random(2);
        var flat = new float[ParamCount];
        int off = 0;
        foreach (var (r, c) in Shapes)
        {
            // weights uniform in ±1/sqrt(fan_in), biases zero
            float scale = r == 1 ? 0f : 1f / MathF.Sqrt(r);
            for (int i = 0; i < r * c; i++) flat[off + i] = scale * (2f * (float)rng.NextDouble() - 1f);
            off += r * c;
        }
        var x = new float[Batch * In];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        var y = new float[Batch * Out];
        for (int b = 0; b < Batch; b++) y[b * Out + rng.Next(Out)] = 1f;
        _params = Array(flat); _x = Array(x, [Batch, In]); _y = Array(y, [Batch, Out]);
        _step = Jax.Jit(Step);
        _step.Invoke(_params, _x, _y);
    }

    [Benchmark] public Tensor JitTrainStep() => _step.Invoke(_params, _x, _y);

    /// <summary>Baseline: the same step run eagerly (no jit).</summary>
    [Benchmark(Baseline = true)] public Tensor EagerTrainStep() => Step(_params, _x, _y);

    internal void Probe()
    {
        Setup();
        var j = _step.Invoke(_params, _x, _y).ToArray<float>();
        var e = Step(_params, _x, _y).ToArray<float>();
        JitProbe.Compare("jit step vs eager step", j, e);
        Console.WriteLine($"  loss jit {j[^1]} eager {e[^1]} (ln 10 = {MathF.Log(10)})");
        JitProbe.Time("JitTrainStep", () => JitTrainStep(), reps: JitProbe.RepsOr(20));
        JitProbe.Time("EagerTrainStep", () => EagerTrainStep(), reps: 3);
        RestoreWorkers();
    }
}

/// <summary>Compile time and per-call cost of jitted autodiff on the seed's 1000-step loop, and
/// the dispatch overhead of a jitted scalar function.</summary>
[MemoryDiagnoser, MedianColumn]
public class JitCompileBenchmarks
{
    private Tensor _arr = null!;
    private readonly Tensor _one = Array([1f], []);
    private readonly Tensor _two = Array([2f], []);
    private JitFunction1 _jacRev = null!, _jacFwd = null!;
    private JitFunction2 _f = null!;

    [GlobalSetup]
    public void Setup()
    {
        _arr = Array(Enumerable.Range(0, 1000).Select(i => 0.5f + i / 2000f).ToArray());
        _jacRev = Jax.Jit(Jax.JacRev(AutodiffBenchmarks.Loop));
        _jacFwd = Jax.Jit(Jax.JacFwd(AutodiffBenchmarks.Loop));
        _f = Jax.Jit(AutodiffBenchmarks.F);
        _jacRev.Invoke(_arr); _jacFwd.Invoke(_arr); _f.Invoke(_one, _two);
    }

    /// <summary>First call of a fresh Jit(JacRev(loop)): trace (JacRev of 1000 rows), compile
    /// (passes, IL emission) and one run. Compile time ≈ this minus <see cref="LoopJacRevJitted"/>.</summary>
    [Benchmark] public Tensor LoopJacRevCompile() => Jax.Jit(Jax.JacRev(AutodiffBenchmarks.Loop)).Invoke(_arr);

    /// <summary>First call of a fresh Jit(JacFwd(loop)).</summary>
    [Benchmark] public Tensor LoopJacFwdCompile() => Jax.Jit(Jax.JacFwd(AutodiffBenchmarks.Loop)).Invoke(_arr);

    /// <summary>Baseline: the eager JacRev of the loop (AutodiffBenchmarks.LoopJacRev).</summary>
    [Benchmark(Baseline = true)] public Tensor LoopJacRevEager() => Jax.JacRev(AutodiffBenchmarks.Loop)(_arr);

    [Benchmark] public Tensor LoopJacRevJitted() => _jacRev.Invoke(_arr);

    [Benchmark] public Tensor LoopJacFwdJitted() => _jacFwd.Invoke(_arr);

    /// <summary>Dispatch overhead: a warm jitted scalar F on prebuilt scalar tensors.</summary>
    [Benchmark] public Tensor ScalarFJitted() => _f.Invoke(_one, _two);

    /// <summary>The same with C# float literals (weakly typed scalars converted per call).</summary>
    [Benchmark] public Tensor ScalarFJittedLiterals() => _f.Invoke(1f, 2f);

    /// <summary>The seed's F run eagerly (7 primitive dispatches) for comparison.</summary>
    [Benchmark] public Tensor ScalarFEager() => AutodiffBenchmarks.F(_one, _two);

    /// <summary>First call of a fresh Jit(F) on scalars: trace + compile + run of a small program.</summary>
    [Benchmark] public Tensor ScalarFCompile() => Jax.Jit(AutodiffBenchmarks.F).Invoke(_one, _two);

    internal void Probe()
    {
        var sw = Stopwatch.StartNew();
        Setup();
        Console.WriteLine($"  setup (3 compiles) {sw.Elapsed.TotalMilliseconds:F1} ms");
        JitProbe.Compare("jit JacRev vs eager", _jacRev.Invoke(_arr).ToArray<float>(), LoopJacRevEager().ToArray<float>());
        JitProbe.Compare("jit JacFwd vs eager", _jacFwd.Invoke(_arr).ToArray<float>(), Jax.JacFwd(AutodiffBenchmarks.Loop)(_arr).ToArray<float>());
        JitProbe.Compare("jit F vs eager", _f.Invoke(_one, _two).ToArray<float>(), ScalarFEager().ToArray<float>());
        JitProbe.Time("LoopJacRevCompile", () => LoopJacRevCompile(), reps: 3);
        JitProbe.Time("LoopJacFwdCompile", () => LoopJacFwdCompile(), reps: 3);
        JitProbe.Time("LoopJacRevEager", () => LoopJacRevEager(), reps: 3);
        JitProbe.Time("LoopJacRevJitted", () => LoopJacRevJitted());
        JitProbe.Time("LoopJacFwdJitted", () => LoopJacFwdJitted());
        JitProbe.Time("ScalarFJitted", () => ScalarFJitted(), reps: 2000);
        JitProbe.Time("ScalarFJittedLiterals", () => ScalarFJittedLiterals(), reps: 2000);
        JitProbe.Time("ScalarFEager", () => ScalarFEager(), reps: 2000);
        JitProbe.Time("ScalarFCompile", () => ScalarFCompile(), reps: 10);
    }
}

/// <summary>The `--probe` mode: each workload once, results checked, rough Stopwatch times.</summary>
public static class JitProbe
{
    /// <summary>Repetitions of the compile probes: COTANGENT_PROBE_REPS, default 8.</summary>
    private static int RepsFromEnv() => RepsOr(8);

    /// <summary>COTANGENT_PROBE_REPS when set, else `fallback`.</summary>
    internal static int RepsOr(int fallback) => int.TryParse(Environment.GetEnvironmentVariable("COTANGENT_PROBE_REPS"), out var n) ? n : fallback;

    public static void Run(string[] which)
    {
        bool Want(string s) => which.Length == 0 || which.Any(w => s.Contains(w, StringComparison.OrdinalIgnoreCase));
        foreach (var workers in int.TryParse(Environment.GetEnvironmentVariable("COTANGENT_PROBE_WORKERS"), out var only) ? new[] { only } : new[] { 1, 2 })
        {
            if (Want("elementwise")) { Console.WriteLine($"elementwise, workers={workers}"); new JitElementwiseBenchmarks { Workers = workers }.Probe(); }
            if (Want("gemm")) { Console.WriteLine($"gemm, workers={workers}"); new JitGemmBenchmarks { Workers = workers }.Probe(); }
            if (Want("mlp")) { Console.WriteLine($"mlp, workers={workers}"); new JitMlpBenchmarks { Workers = workers }.Probe(); }
        }
        if (Want("compile")) { Console.WriteLine("compile"); new JitCompileBenchmarks().Probe(); }
        if (which.Contains("ir"))
        {
            // small instances of the elementwise programs, for COTANGENT_FLAGS dumps
            var x = Array(Enumerable.Range(0, 1000).Select(i => 0.5f + i / 1000f).ToArray());
            Jax.Jit(AutodiffBenchmarks.F).Invoke(x, x);
            Jax.Jit(JitElementwiseBenchmarks.GradBoth).Invoke(x, x);
        }
        if (which.Contains("stages")) CompileStages.Run(RepsOr(9));
        if (which.Contains("gclog")) CompileStages.SteadyState(RepsOr(30));
        if (which.Contains("warm")) CompileStages.Warmup(RepsOr(60));
        if (which.Contains("gccliff")) CompileStages.GcCliff();
        if (which.Contains("jacrev1"))
        {
            var a = Array(Enumerable.Range(0, 1000).Select(i => 0.5f + i / 2000f).ToArray());
            Time("Jit(JacRev(loop)) first call", () => Jax.Jit(Jax.JacRev(AutodiffBenchmarks.Loop)).Invoke(a), reps: RepsFromEnv());
            // the stages apart: trace (Lower), passes and IL emission (Compile), .NET JIT + run (first call)
            var stages = new List<double[]>();
            for (int r = 0; r < RepsFromEnv(); r++)
            {
                var sw = Stopwatch.StartNew();
                var lowered = Jax.Jit(Jax.JacRev(AutodiffBenchmarks.Loop)).Lower(a);
                var t0 = sw.Elapsed.TotalMilliseconds;
                var compiled = lowered.Compile();
                var t1 = sw.Elapsed.TotalMilliseconds;
                compiled.Invoke(a);
                stages.Add([t0, t1 - t0, sw.Elapsed.TotalMilliseconds - t1]);
            }
            if (Environment.GetEnvironmentVariable("COTANGENT_GC_LOG") == "1")
            {
                // what one gen0 collection costs with each stage's objects young and alive
                double Gen0Pause(Func<object> keep)
                {
                    GC.Collect();
                    var kept = keep();
                    var before = GC.GetTotalPauseDuration();
                    GC.Collect(0);
                    GC.KeepAlive(kept);
                    return (GC.GetTotalPauseDuration() - before).TotalMilliseconds;
                }
                long Retained(Func<object> keep)
                {
                    GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
                    long before = GC.GetTotalMemory(true);
                    var kept = keep();
                    long after = GC.GetTotalMemory(true);
                    GC.KeepAlive(kept);
                    return after - before;
                }
                Console.WriteLine($"    retained: lowered {Retained(() => Jax.Jit(Jax.JacRev(AutodiffBenchmarks.Loop)).Lower(a)) / 1e6:F1} MB, "
                    + $"jaxpr only {Retained(() => Jax.MakeJaxpr(Jax.JacRev(AutodiffBenchmarks.Loop))(a)) / 1e6:F1} MB");
                for (int r = 0; r < 3; r++)
                    Console.WriteLine($"    gen0 pause with young: lowered {Gen0Pause(() => Jax.Jit(Jax.JacRev(AutodiffBenchmarks.Loop)).Lower(a)):F1} ms, "
                        + $"compiled {Gen0Pause(() => Jax.Jit(Jax.JacRev(AutodiffBenchmarks.Loop)).Lower(a).Compile()):F1} ms, "
                        + $"after a call {Gen0Pause(() => { var c = Jax.Jit(Jax.JacRev(AutodiffBenchmarks.Loop)).Lower(a).Compile(); c.Invoke(a); return c; }):F1} ms");
            }
            double Median(int k) => stages.Select(x => x[k]).Order().ElementAt(stages.Count / 2);
            Console.WriteLine($"    medians: trace {Median(0):F1} ms, passes + emission {Median(1):F1} ms, .NET JIT + first run {Median(2):F1} ms");
        }
        if (which.Contains("jacfwd1"))
        {
            var a = Array(Enumerable.Range(0, 1000).Select(i => 0.5f + i / 2000f).ToArray());
            Time("Jit(JacFwd(loop)) first call", () => Jax.Jit(Jax.JacFwd(AutodiffBenchmarks.Loop)).Invoke(a), reps: RepsFromEnv());
        }
        if (which.Contains("jacfwd"))
        {
            // the jitted loop JacFwd called in a loop, for a profiler
            var a = Array(Enumerable.Range(0, 1000).Select(i => 0.5f + i / 2000f).ToArray());
            var j = Jax.Jit(Jax.JacFwd(AutodiffBenchmarks.Loop));
            Time("LoopJacFwdJitted", () => j.Invoke(a), reps: 2000);
        }
        if (which.Contains("trace"))
        {
            // the trace alone: JacRev/JacFwd of the 1000-row loop staged to a jaxpr
            var a = Array(Enumerable.Range(0, 1000).Select(i => 0.5f + i / 2000f).ToArray());
            foreach (var (name, f) in new[] { ("JacRev", Jax.JacRev(AutodiffBenchmarks.Loop)), ("JacFwd", Jax.JacFwd(AutodiffBenchmarks.Loop)) })
            {
                var jaxpr = Jax.MakeJaxpr(f)(a);
                Console.WriteLine($"  {name}(loop) jaxpr: {jaxpr.EquationCount} equations, {jaxpr.Consts.Count} consts");
                Time($"MakeJaxpr({name}(loop))", () => Jax.MakeJaxpr(f)(a), reps: 3);
            }
        }
    }

    public static void Compare(string what, float[] got, float[] want)
    {
        if (got.Length != want.Length) { Console.WriteLine($"  {what}: LENGTH {got.Length} vs {want.Length}"); return; }
        double worst = 0; int at = -1;
        for (int i = 0; i < got.Length; i++)
        {
            double err = Math.Abs(got[i] - want[i]) / Math.Max(1.0, Math.Abs(want[i]));
            if (!(err <= worst)) { worst = err; at = i; }
        }
        Console.WriteLine($"  {what}: max rel err {worst:E2}" + (at >= 0 ? $" at {at} ({got[at]} vs {want[at]})" : ""));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Time(string what, Action body, int reps = 20)
    {
        body();
        var times = new double[reps];
        int gen0 = GC.CollectionCount(0), gen2 = GC.CollectionCount(2);
        var pause = GC.GetTotalPauseDuration();
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        for (int r = 0; r < reps; r++)
        {
            var sw = Stopwatch.StartNew();
            body();
            times[r] = sw.Elapsed.TotalMilliseconds;
        }
        var cpuPerCall = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / reps;
        System.Array.Sort(times);
        Console.WriteLine($"  {what}: median {times[reps / 2]:F4} ms, min {times[0]:F4} ms, CPU {cpuPerCall:F4} ms"
            + $" (per call: {(double)(GC.CollectionCount(0) - gen0) / reps:F1} GCs, {(double)(GC.CollectionCount(2) - gen2) / reps:F1} gen2,"
            + $" {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds / reps:F1} ms paused,"
            + $" {(GC.GetAllocatedBytesForCurrentThread() - allocated) / reps / 1e6:F1} MB allocated)");
        if (Environment.GetEnvironmentVariable("COTANGENT_GC_LOG") == "1")
            foreach (var kind in new[] { GCKind.Ephemeral, GCKind.FullBlocking })
            {
                var info = GC.GetGCMemoryInfo(kind);
                Console.WriteLine($"    last {kind} GC: gen {info.Generation}, heap {info.HeapSizeBytes / 1e6:F0} MB, promoted {info.PromotedBytes / 1e6:F0} MB, pause {info.PauseDurations[0].TotalMilliseconds:F0} ms");
            }
    }
}
