// VecMathTests: the max ulp error of each VecMath function against a reference, asserted ≤ its *MaxUlp*
// constant over (a) dense sweeps of float bit patterns, (b) random arguments of a seeded generator (the
// FsCheck-style property; FsCheck is not referenced by this project), (c) special values; and the
// scalar forms equal every lane of the vector forms bit for bit. Float32 reference: double Math.*;
// float64 reference: Math.* (its own error is part of the bound).
using System.Runtime.Intrinsics;
using Cotangent.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace Cotangent.Tests;

public class VecMathTests(ITestOutputHelper output)
{
    private delegate Vector256<float> VecF(Vector256<float> x);
    private delegate Vector256<double> VecD(Vector256<double> x);

    private sealed record FnF(string Name, VecF Vec, Func<float, float> Scalar, Func<double, double> Reference, int Bound);
    private sealed record FnD(string Name, VecD Vec, Func<double, double> Scalar, Func<double, double> Reference, int Bound);

    private static double LogisticReference(double x) =>
        x < 0 ? Math.Exp(x) / (1 + Math.Exp(x)) : 1 / (1 + Math.Exp(-x));

    private static readonly FnF ExpF = new("exp", VecMath.Exp, VecMath.Exp, Math.Exp, VecMath.ExpMaxUlpF32);
    private static readonly FnF LogF = new("log", VecMath.Log, VecMath.Log, Math.Log, VecMath.LogMaxUlpF32);
    private static readonly FnF SinF = new("sin", VecMath.Sin, VecMath.Sin, Math.Sin, VecMath.SinMaxUlpF32);
    private static readonly FnF CosF = new("cos", VecMath.Cos, VecMath.Cos, Math.Cos, VecMath.CosMaxUlpF32);
    private static readonly FnF TanhF = new("tanh", VecMath.Tanh, VecMath.Tanh, Math.Tanh, VecMath.TanhMaxUlpF32);
    private static readonly FnF LogisticF =
        new("logistic", VecMath.Logistic, VecMath.Logistic, LogisticReference, VecMath.LogisticMaxUlpF32);
    private static readonly FnF[] AllF = [ExpF, LogF, SinF, CosF, TanhF, LogisticF];

    private static readonly FnD[] AllD =
    [
        new("exp", VecMath.Exp, VecMath.Exp, Math.Exp, VecMath.ExpMaxUlpF64),
        new("log", VecMath.Log, VecMath.Log, Math.Log, VecMath.LogMaxUlpF64),
        new("sin", VecMath.Sin, VecMath.Sin, Math.Sin, VecMath.SinMaxUlpF64),
        new("cos", VecMath.Cos, VecMath.Cos, Math.Cos, VecMath.CosMaxUlpF64),
        new("tanh", VecMath.Tanh, VecMath.Tanh, Math.Tanh, VecMath.TanhMaxUlpF64),
        new("logistic", VecMath.Logistic, VecMath.Logistic, LogisticReference, VecMath.LogisticMaxUlpF64),
    ];

    // ---- error measures ----

    /// Error of y in ulps of the exact value r, the ulp taken in r's float32 binade (2^-149 below 2^-126).
    private static double UlpErrorF32(float y, double r)
    {
        if (double.IsNaN(r) || float.IsNaN(y)) return double.IsNaN(r) && float.IsNaN(y) ? 0 : double.PositiveInfinity;
        if (float.IsInfinity(y) || double.IsInfinity(r)) return y == (float)r ? 0 : double.PositiveInfinity;
        int exponent = r == 0 ? -126 : Math.Max(Math.ILogB(r), -126);
        return Math.Abs(y - r) / Math.ScaleB(1, exponent - 23);
    }

    private static long Ordered(double d)
    {
        long bits = BitConverter.DoubleToInt64Bits(d);
        return bits >= 0 ? bits : -(bits & long.MaxValue);
    }

    /// Distance of y from r in float64 ulps (steps between adjacent doubles).
    private static double UlpDistanceF64(double y, double r)
    {
        if (double.IsNaN(r) || double.IsNaN(y)) return double.IsNaN(r) && double.IsNaN(y) ? 0 : double.PositiveInfinity;
        return Math.Abs((double)(Ordered(y) - Ordered(r)));
    }

    private static float FromOrdered(int o) =>
        BitConverter.Int32BitsToSingle(o >= 0 ? o : (int)(0x80000000u | (uint)-o));

    private static int Ordered(float f)
    {
        int bits = BitConverter.SingleToInt32Bits(f);
        return bits >= 0 ? bits : -(bits & int.MaxValue);
    }

    // ---- drivers ----

    private sealed record Worst(double Error, double X);

    /// Max error of the vector form over arguments xs, 8 lanes at a time.
    private static Worst MaxErrorF32(FnF f, ReadOnlySpan<float> xs)
    {
        var worst = new Worst(0, double.NaN);
        for (int i = 0; i + 8 <= xs.Length; i += 8)
        {
            var y = f.Vec(Vector256.Create(xs.Slice(i, 8)));
            for (int j = 0; j < 8; j++)
            {
                double e = UlpErrorF32(y.GetElement(j), f.Reference(xs[i + j]));
                if (e > worst.Error) worst = new Worst(e, xs[i + j]);
            }
        }
        return worst;
    }

    /// Every stride-th float in [lo, hi] (by bit pattern, so every binade is visited), split across cores;
    /// VECMATH_STRIDE=1 in the environment makes it exhaustive (minutes, not run by default).
    private Worst SweepF32(FnF f, float lo, float hi, int stride)
    {
        stride = int.TryParse(Environment.GetEnvironmentVariable("VECMATH_STRIDE"), out int s) ? Math.Min(s, stride) : stride;
        int first = Ordered(lo), last = Ordered(hi);
        long count = ((long)last - first) / stride + 1;
        const int chunk = 1 << 16;
        int chunks = (int)((count + chunk - 1) / chunk);
        var worst = new Worst[chunks];
        Parallel.For(0, chunks, c =>
        {
            long start = (long)c * chunk, n = Math.Min(chunk, count - start);
            var xs = new float[(n + 7) / 8 * 8];
            for (long k = 0; k < xs.Length; k++)
                xs[k] = FromOrdered((int)Math.Min(last, first + (start + k) * stride));
            worst[c] = MaxErrorF32(f, xs);
        });
        var w = worst.MaxBy(w => w.Error)!;
        output.WriteLine($"{f.Name} f32 [{lo}, {hi}] /{stride}: {count} args, max {w.Error:F3} ulp at {w.X:R}");
        return w;
    }

    private void AssertSweepF32(FnF f, float lo, float hi, int stride)
    {
        var w = SweepF32(f, lo, hi, stride);
        Assert.True(w.Error <= f.Bound, $"{f.Name}({w.X:R}): {w.Error} ulp > {f.Bound}");
    }

    // ---- (a) dense float32 sweeps ----

    [Fact]
    public void ExpF32Sweep() => AssertSweepF32(ExpF, -104f, 89f, 64);

    [Fact]
    public void LogF32SweepAllPositiveFloats() => AssertSweepF32(LogF, float.Epsilon, float.MaxValue, 64);

    [Fact]
    public void SinF32Sweep()
    {
        AssertSweepF32(SinF, -1e4f, 1e4f, 128);
        AssertSweepF32(SinF, 1e4f, 1e6f, 1024);
        AssertSweepF32(SinF, 1e6f, float.MaxValue, 1 << 16);
    }

    [Fact]
    public void CosF32Sweep()
    {
        AssertSweepF32(CosF, -1e4f, 1e4f, 128);
        AssertSweepF32(CosF, 1e4f, 1e6f, 1024);
        AssertSweepF32(CosF, -float.MaxValue, -1e6f, 1 << 16);
    }

    [Fact]
    public void TanhF32Sweep() => AssertSweepF32(TanhF, -10f, 10f, 128);

    [Fact]
    public void LogisticF32Sweep() => AssertSweepF32(LogisticF, -104f, 20f, 128);

    // ---- (b) random arguments: uniformly random bit patterns and uniform values in each range ----

    private static float[] RandomFloats(int seed, int n, float lo, float hi)
    {
        var rng = new Random(seed);
        var xs = new float[n];
        for (int i = 0; i < n; i++)
            xs[i] = i % 2 == 0
                ? BitConverter.Int32BitsToSingle(rng.Next() | (rng.Next(2) << 31))
                : lo + (hi - lo) * rng.NextSingle();
        return xs;
    }

    [Fact]
    public void RandomF32WithinBounds()
    {
        foreach (var (f, lo, hi) in new[]
                 {
                     (ExpF, -104f, 89f), (LogF, 0f, 1e3f), (SinF, -1e4f, 1e4f), (CosF, -1e4f, 1e4f),
                     (TanhF, -10f, 10f), (LogisticF, -104f, 30f),
                 })
        {
            var w = MaxErrorF32(f, RandomFloats(f.Name.GetHashCode() & 0xFFFF, 1 << 18, lo, hi));
            output.WriteLine($"{f.Name} f32 random: max {w.Error:F3} ulp at {w.X:R}");
            Assert.True(w.Error <= f.Bound, $"{f.Name}({w.X:R}): {w.Error} ulp > {f.Bound}");
        }
    }

    [Fact]
    public void RandomAndSweptF64WithinBounds()
    {
        var ranges = new Dictionary<string, (double Lo, double Hi)>
        {
            ["exp"] = (-745, 709.7), ["log"] = (0, 1e6), ["sin"] = (-1e4, 1e4), ["cos"] = (-1e4, 1e4),
            ["tanh"] = (-20, 20), ["logistic"] = (-745, 40),
        };
        foreach (var f in AllD)
        {
            var (lo, hi) = ranges[f.Name];
            var rng = new Random(7);
            const int n = 1 << 18;
            var xs = new double[n];
            for (int i = 0; i < n; i++)
                xs[i] = (i % 4) switch
                {
                    0 => BitConverter.Int64BitsToDouble(rng.NextInt64()),
                    1 => lo + (hi - lo) * rng.NextDouble(),
                    2 => lo + (hi - lo) * i / n,
                    _ => (rng.NextDouble() - 0.5) * Math.ScaleB(1, rng.Next(-30, 3)), // near 0, all scales
                };
            double worst = 0, at = double.NaN;
            for (int i = 0; i < n; i += 4)
            {
                var y = f.Vec(Vector256.Create(xs.AsSpan(i, 4)));
                for (int j = 0; j < 4; j++)
                {
                    double e = UlpDistanceF64(y.GetElement(j), f.Reference(xs[i + j]));
                    if (e > worst) (worst, at) = (e, xs[i + j]);
                }
            }
            output.WriteLine($"{f.Name} f64: max {worst} ulp from Math at {at:R}");
            Assert.True(worst <= f.Bound, $"{f.Name}({at:R}): {worst} ulp > {f.Bound}");
        }
    }

    // ---- (c) special values ----

    private const float Inf = float.PositiveInfinity;

    public static TheoryData<string, float, float> SpecialF32 => new()
    {
        { "exp", float.NaN, float.NaN }, { "exp", Inf, Inf }, { "exp", -Inf, 0f }, { "exp", 89f, Inf },
        { "exp", 1e30f, Inf }, { "exp", -104f, 0f }, { "exp", -1e30f, 0f }, { "exp", 0f, 1f }, { "exp", -0f, 1f },
        { "exp", -103f, (float)Math.Exp(-103) }, // subnormal result, rounded not flushed
        { "log", 0f, -Inf }, { "log", -0f, -Inf }, { "log", -1f, float.NaN }, { "log", -Inf, float.NaN },
        { "log", Inf, Inf }, { "log", float.NaN, float.NaN }, { "log", 1f, 0f },
        { "log", float.Epsilon, (float)Math.Log(float.Epsilon) }, { "log", float.MaxValue, (float)Math.Log(float.MaxValue) },
        { "sin", Inf, float.NaN }, { "sin", -Inf, float.NaN }, { "sin", float.NaN, float.NaN },
        { "sin", 0f, 0f }, { "sin", -0f, -0f }, { "sin", 1e-30f, 1e-30f }, { "sin", float.Epsilon, float.Epsilon },
        { "cos", Inf, float.NaN }, { "cos", -Inf, float.NaN }, { "cos", float.NaN, float.NaN }, { "cos", 0f, 1f },
        { "tanh", Inf, 1f }, { "tanh", -Inf, -1f }, { "tanh", float.NaN, float.NaN }, { "tanh", 0f, 0f },
        { "tanh", -0f, -0f }, { "tanh", 1e-30f, 1e-30f }, { "tanh", 100f, 1f }, { "tanh", -100f, -1f },
        { "logistic", Inf, 1f }, { "logistic", -Inf, 0f }, { "logistic", float.NaN, float.NaN },
        { "logistic", 0f, 0.5f }, { "logistic", -100f, (float)Math.Exp(-100) }, { "logistic", 200f, 1f },
    };

    [Theory]
    [MemberData(nameof(SpecialF32))]
    public void SpecialValuesF32(string name, float x, float expected)
    {
        var f = AllF.Single(f => f.Name == name);
        foreach (float y in new[] { f.Scalar(x), f.Vec(Vector256.Create(x))[5] })
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(y), $"{name}({x}) = {y}");
            else Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(y));
    }

    public static TheoryData<string, double, double> SpecialF64 => new()
    {
        { "exp", double.NaN, double.NaN }, { "exp", double.PositiveInfinity, double.PositiveInfinity },
        { "exp", double.NegativeInfinity, 0 }, { "exp", 710, double.PositiveInfinity }, { "exp", -746, 0 },
        { "exp", 0, 1 },
        { "log", 0, double.NegativeInfinity }, { "log", -1, double.NaN }, { "log", double.PositiveInfinity, double.PositiveInfinity },
        { "log", double.NaN, double.NaN }, { "log", 1, 0 }, { "log", double.Epsilon, Math.Log(double.Epsilon) },
        { "sin", double.PositiveInfinity, double.NaN }, { "sin", double.NaN, double.NaN }, { "sin", -0.0, -0.0 },
        { "cos", double.NegativeInfinity, double.NaN }, { "cos", 0, 1 },
        { "tanh", double.PositiveInfinity, 1 }, { "tanh", double.NegativeInfinity, -1 }, { "tanh", double.NaN, double.NaN },
        { "tanh", -0.0, -0.0 }, { "tanh", 1e-300, 1e-300 },
        { "logistic", double.PositiveInfinity, 1 }, { "logistic", double.NegativeInfinity, 0 },
        { "logistic", double.NaN, double.NaN }, { "logistic", 0, 0.5 },
    };

    [Theory]
    [MemberData(nameof(SpecialF64))]
    public void SpecialValuesF64(string name, double x, double expected)
    {
        var f = AllD.Single(f => f.Name == name);
        foreach (double y in new[] { f.Scalar(x), f.Vec(Vector256.Create(x))[3] })
            if (double.IsNaN(expected)) Assert.True(double.IsNaN(y), $"{name}({x}) = {y}");
            else Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(y));
    }

    // ---- scalar form = each lane of the vector form, bitwise ----

    [Fact]
    public void ScalarFormsEqualEveryLane()
    {
        var xs = RandomFloats(11, 1 << 12, -200f, 200f);
        float[] edges = [0f, -0f, float.NaN, Inf, -Inf, float.Epsilon, 1e5f, 2e5f, 88.72f, -103.5f];
        edges.CopyTo(xs, 0);
        foreach (var f in AllF)
            for (int i = 0; i + 8 <= xs.Length; i += 8)
            {
                var y = f.Vec(Vector256.Create(xs.AsSpan(i, 8)));
                for (int j = 0; j < 8; j++)
                    Assert.True(BitConverter.SingleToInt32Bits(y.GetElement(j)) ==
                        BitConverter.SingleToInt32Bits(f.Scalar(xs[i + j])), $"{f.Name} f32 lane {j} of {xs[i + j]:R}");
            }
        foreach (var f in AllD)
            for (int i = 0; i + 4 <= xs.Length; i += 4)
            {
                var v = Vector256.Create(xs[i], xs[i + 1], xs[i + 2], (double)xs[i + 3] * 4);
                var y = f.Vec(v);
                for (int j = 0; j < 4; j++)
                    Assert.True(BitConverter.DoubleToInt64Bits(y.GetElement(j)) ==
                        BitConverter.DoubleToInt64Bits(f.Scalar(v.GetElement(j))), $"{f.Name} f64 lane {j} of {v}");
            }
    }
}
