// VecMath float32: takes Vector256<float> (or one float, run as lane 0) and returns the function per
// lane, computed in float32 (Cody–Waite reduction; cephes minimax polynomials, Taylor for exp). On the FMA
// path, error ≤ the *MaxUlpF32 constant in ulps of the exact result (Exp 1, Log 1, Sin/Cos 2, Tanh 2,
// Logistic 3; every float of each tested range checked, VECMATH_STRIDE=1: exp 0.979, log 0.827,
// sin/cos 1.53, tanh 1.33, logistic 2.40); IEEE special values; exp's subnormal results are rounded,
// not flushed. Without FMA the same code rounds twice per multiply-add: slightly larger errors, same
// special values.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cotangent.Kernels;

public static partial class VecMath
{
    /// <summary>Max error of <see cref="Exp(Vector256{float})"/> in ulps of the exact result.</summary>
    public const int ExpMaxUlpF32 = 1;
    /// <summary>Max error of <see cref="Log(Vector256{float})"/> in ulps of the exact result.</summary>
    public const int LogMaxUlpF32 = 1;
    /// <summary>Max error of <see cref="Sin(Vector256{float})"/> in ulps of the exact result.</summary>
    public const int SinMaxUlpF32 = 2;
    /// <summary>Max error of <see cref="Cos(Vector256{float})"/> in ulps of the exact result.</summary>
    public const int CosMaxUlpF32 = 2;
    /// <summary>Max error of <see cref="Tanh(Vector256{float})"/> in ulps of the exact result.</summary>
    public const int TanhMaxUlpF32 = 2;
    /// <summary>Max error of <see cref="Logistic(Vector256{float})"/> in ulps of the exact result.</summary>
    public const int LogisticMaxUlpF32 = 3;
    /// <summary>Largest |x| that <see cref="Sin(Vector256{float})"/> and <see cref="Cos(Vector256{float})"/>
    /// reduce by the 3-part π/2; larger lanes (and ±∞) are recomputed with <see cref="MathF.Sin"/> /
    /// <see cref="MathF.Cos"/>, so the bounds hold for every finite float.</summary>
    public const float SinCosReducedMaxF32 = 131072f;

    private const float ShifterF = 12582912f; // 1.5·2^23: adding it rounds |t| < 2^22 to an integer
    private const int ShifterBitsF = 0x4B400000;

    // ---- exp: x = n·ln2 + r, |r| ≤ ln2/2; e^x = 2^n·p(r) ----

    /// <summary>e^x per lane.</summary>
    /// <param name="x">Exponents.</param>
    /// <returns>e^x within <see cref="ExpMaxUlpF32"/> ulps; +∞ above ≈88.72, subnormal results rounded,
    /// 0 below ≈−103.97; exp(+∞) = +∞, exp(−∞) = 0, NaN → NaN.</returns>
    public static Vector256<float> Exp(Vector256<float> x) => ExpCore(x);

    /// <summary>e^x, rounded exactly as one lane of <see cref="Exp(Vector256{float})"/>.</summary>
    /// <param name="x">Exponent.</param>
    /// <returns>e^x within <see cref="ExpMaxUlpF32"/> ulps.</returns>
    public static float Exp(float x) => ExpCore(Vector256.Create(x)).ToScalar();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ExpCore(Vector256<float> x)
    {
        // Outside [-104, 89] the result is 0 or +inf anyway; clamping keeps n within the scaling range.
        x = Clamp(x, -104f, 89f);
        var t = Mad(x, Vector256.Create(1.44269504088896341f), Vector256.Create(ShifterF));
        var n = t - Vector256.Create(ShifterF);
        var r = Mad(n, Vector256.Create(-0.693145751953125f), x); // ln2 high part: n·hi is exact
        r = Mad(n, Vector256.Create(-1.428606765330187045e-06f), r);
        // e^r = 1 + r + r²·p(r), p Taylor's to degree 8 in all: on |r| ≤ ln2/2 its truncation error
        // (2e-10) is far below float rounding (cephes' degree-7 minimax left 1.013 ulp at 59.3)
        var p = Mad(Vector256.Create(1f / 40320f), r, Vector256.Create(1f / 5040f));
        p = Mad(p, r, Vector256.Create(1f / 720f));
        p = Mad(p, r, Vector256.Create(1f / 120f));
        p = Mad(p, r, Vector256.Create(1f / 24f));
        p = Mad(p, r, Vector256.Create(1f / 6f));
        p = Mad(p, r, Vector256.Create(0.5f));
        var y = Mad(p, r * r, r) + Vector256.Create(1f);
        return Scale(y, t.AsInt32() - Vector256.Create(ShifterBitsF));
    }

    // y·2^n for n in [-150, 128]: two factors 2^(n/2), each a normal float, so the product rounds
    // once into the subnormal range and overflows to +inf above it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Scale(Vector256<float> y, Vector256<int> n)
    {
        var n1 = Vector256.ShiftRightArithmetic(n, 1);
        var s1 = Vector256.ShiftLeft(n1 + Vector256.Create(127), 23).AsSingle();
        var s2 = Vector256.ShiftLeft(n - n1 + Vector256.Create(127), 23).AsSingle();
        return y * s1 * s2;
    }

    // ---- log: x = 2^e·m, m in [√½, √2); log x = e·ln2 + log1p(m − 1) ----

    /// <summary>Natural logarithm per lane.</summary>
    /// <param name="x">Arguments.</param>
    /// <returns>ln x within <see cref="LogMaxUlpF32"/> ulps, subnormal x included; log(±0) = −∞,
    /// log(x &lt; 0) = NaN, log(+∞) = +∞, NaN → NaN.</returns>
    public static Vector256<float> Log(Vector256<float> x)
    {
        var subnormal = Vector256.LessThan(x, Vector256.Create(1.17549435e-38f));
        var xs = Vector256.ConditionalSelect(subnormal, x * Vector256.Create(8388608f), x); // ·2^23
        var ix = xs.AsInt32() - Vector256.Create(0x3F3504F3); // bits of √½
        var e = Vector256.ShiftRightArithmetic(ix, 23) - (subnormal.AsInt32() & Vector256.Create(23));
        var f = ((ix & Vector256.Create(0x007FFFFF)) + Vector256.Create(0x3F3504F3)).AsSingle()
            - Vector256.Create(1f);
        var ef = Vector256.ConvertToSingle(e);
        var z = f * f;
        var p = Mad(Vector256.Create(7.0376836292E-2f), f, Vector256.Create(-1.1514610310E-1f));
        p = Mad(p, f, Vector256.Create(1.1676998740E-1f));
        p = Mad(p, f, Vector256.Create(-1.2420140846E-1f));
        p = Mad(p, f, Vector256.Create(1.4249322787E-1f));
        p = Mad(p, f, Vector256.Create(-1.6668057665E-1f));
        p = Mad(p, f, Vector256.Create(2.0000714765E-1f));
        p = Mad(p, f, Vector256.Create(-2.4999993993E-1f));
        p = Mad(p, f, Vector256.Create(3.3333331174E-1f));
        var y = p * f * z;
        y = Mad(ef, Vector256.Create(-2.12194440e-4f), y); // ln2 = 0.693359375 − 2.12194440e-4
        y = Mad(z, Vector256.Create(-0.5f), y);
        var result = Mad(ef, Vector256.Create(0.693359375f), f + y);
        var finitePositive = Vector256.GreaterThan(x, Vector256<float>.Zero)
            & Vector256.LessThan(x, Vector256.Create(float.PositiveInfinity));
        if (finitePositive == Vector256<float>.AllBitsSet) return result;
        var special = Vector256.ConditionalSelect(Vector256.Equals(x, Vector256<float>.Zero),
            Vector256.Create(float.NegativeInfinity),
            Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256.Create(float.NaN), x));
        return Vector256.ConditionalSelect(finitePositive, result, special);
    }

    /// <summary>ln x, rounded exactly as one lane of <see cref="Log(Vector256{float})"/>.</summary>
    /// <param name="x">Argument.</param>
    /// <returns>ln x within <see cref="LogMaxUlpF32"/> ulps.</returns>
    public static float Log(float x) => Log(Vector256.Create(x)).ToScalar();

    // ---- sin, cos: x = q·π/2 + r, |r| ≤ π/4; quadrant q picks ±sin r or ±cos r ----

    /// <summary>Sine per lane.</summary>
    /// <param name="x">Angles in radians.</param>
    /// <returns>sin x within <see cref="SinMaxUlpF32"/> ulps; sin(±∞) = NaN, NaN → NaN.</returns>
    public static Vector256<float> Sin(Vector256<float> x) => SinCos(x, 0);

    /// <summary>sin x, rounded exactly as one lane of <see cref="Sin(Vector256{float})"/>.</summary>
    /// <param name="x">Angle in radians.</param>
    /// <returns>sin x within <see cref="SinMaxUlpF32"/> ulps.</returns>
    public static float Sin(float x) => SinCos(Vector256.Create(x), 0).ToScalar();

    /// <summary>Cosine per lane.</summary>
    /// <param name="x">Angles in radians.</param>
    /// <returns>cos x within <see cref="CosMaxUlpF32"/> ulps; cos(±∞) = NaN, NaN → NaN.</returns>
    public static Vector256<float> Cos(Vector256<float> x) => SinCos(x, 1);

    /// <summary>cos x, rounded exactly as one lane of <see cref="Cos(Vector256{float})"/>.</summary>
    /// <param name="x">Angle in radians.</param>
    /// <returns>cos x within <see cref="CosMaxUlpF32"/> ulps.</returns>
    public static float Cos(float x) => SinCos(Vector256.Create(x), 1).ToScalar();

    // Reduces |x| (sin is odd, cos even); cos x = sin(x + π/2): quadrant + 1.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> SinCos(Vector256<float> x, int quadrantOffset)
    {
        var ax = Vector256.Abs(x);
        var t = Mad(ax, Vector256.Create(0.636619772367581343f), Vector256.Create(ShifterF));
        var q = t - Vector256.Create(ShifterF);
        Vector256<float> r;
        if (Fma.IsSupported)
        {
            // With one rounding, x − q·a is exact for a full-width a; b and c carry the next 48 bits.
            r = Mad(q, Vector256.Create(-1.5707963705062866f), ax);
            r = Mad(q, Vector256.Create(4.371138828673793e-08f), r);
            r = Mad(q, Vector256.Create(1.7151245100058819e-15f), r);
        }
        else
        {
            // Cephes' split: the first two parts have trailing zeros so q·part is exact for q < 2^13.
            r = ax - q * Vector256.Create(1.5703125f);
            r -= q * Vector256.Create(4.837512969970703125e-4f);
            r -= q * Vector256.Create(7.54978995489188216e-8f);
        }
        var quadrant = t.AsInt32() - Vector256.Create(ShifterBitsF - quadrantOffset);
        var z = r * r;
        var s = Mad(Vector256.Create(-1.9515295891E-4f), z, Vector256.Create(8.3321608736E-3f));
        s = Mad(s, z, Vector256.Create(-1.6666654611E-1f));
        s = Mad(s * z, r, r);
        var c = Mad(Vector256.Create(2.443315711809948E-5f), z, Vector256.Create(-1.388731625493765E-3f));
        c = Mad(c, z, Vector256.Create(4.166664568298827E-2f));
        c = Mad(z, Vector256.Create(-0.5f), c * z * z) + Vector256.Create(1f);
        var useCos = Vector256.Equals(quadrant & Vector256.Create(1), Vector256.Create(1)).AsSingle();
        var sign = Vector256.ShiftLeft(quadrant & Vector256.Create(2), 30).AsSingle();
        if (quadrantOffset == 0) sign ^= x & Vector256.Create(-0f);
        var result = Vector256.ConditionalSelect(useCos, c, s) ^ sign;
        var large = Vector256.GreaterThan(ax, Vector256.Create(SinCosReducedMaxF32));
        return large == Vector256<float>.Zero ? result : SinCosLarge(x, result, large, quadrantOffset);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector256<float> SinCosLarge(Vector256<float> x, Vector256<float> reduced,
        Vector256<float> large, int quadrantOffset)
    {
        Span<float> lanes = stackalloc float[8];
        reduced.CopyTo(lanes);
        for (int i = 0; i < 8; i++)
            if (large.AsInt32().GetElement(i) != 0)
                lanes[i] = quadrantOffset == 0 ? MathF.Sin(x.GetElement(i)) : MathF.Cos(x.GetElement(i));
        return Vector256.Create((ReadOnlySpan<float>)lanes);
    }

    // ---- tanh: x + x³·P(x²) below 0.625; 1 − 2/(e^{2|x|} + 1) with x's sign above ----

    /// <summary>Hyperbolic tangent per lane.</summary>
    /// <param name="x">Arguments.</param>
    /// <returns>tanh x within <see cref="TanhMaxUlpF32"/> ulps (tanh x ≈ x near 0 keeps full relative
    /// accuracy); tanh(±∞) = ±1, NaN → NaN.</returns>
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        var z = x * x;
        var p = Mad(Vector256.Create(-5.70498872745E-3f), z, Vector256.Create(2.06390887954E-2f));
        p = Mad(p, z, Vector256.Create(-5.37397155531E-2f));
        p = Mad(p, z, Vector256.Create(1.33314422036E-1f));
        p = Mad(p, z, Vector256.Create(-3.33332819422E-1f));
        var small = Mad(p * z, ax, ax);
        var e = ExpCore(ax + ax);
        var large = Vector256.Create(1f) - Vector256.Create(2f) / (e + Vector256.Create(1f));
        return WithSignOf(Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.625f)), small, large), x);
    }

    /// <summary>tanh x, rounded exactly as one lane of <see cref="Tanh(Vector256{float})"/>.</summary>
    /// <param name="x">Argument.</param>
    /// <returns>tanh x within <see cref="TanhMaxUlpF32"/> ulps.</returns>
    public static float Tanh(float x) => Tanh(Vector256.Create(x)).ToScalar();

    // ---- logistic: with e = e^{−|x|} ≤ 1, σ(x) = 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0 ----

    /// <summary>Logistic sigmoid 1/(1 + e^{−x}) per lane.</summary>
    /// <param name="x">Arguments.</param>
    /// <returns>σ(x) within <see cref="LogisticMaxUlpF32"/> ulps, also for large negative x where σ(x)
    /// ≈ e^x is tiny; σ(+∞) = 1, σ(−∞) = 0, NaN → NaN.</returns>
    public static Vector256<float> Logistic(Vector256<float> x)
    {
        var e = ExpCore(-Vector256.Abs(x));
        var numerator = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), e, Vector256.Create(1f));
        return numerator / (Vector256.Create(1f) + e);
    }

    /// <summary>σ(x), rounded exactly as one lane of <see cref="Logistic(Vector256{float})"/>.</summary>
    /// <param name="x">Argument.</param>
    /// <returns>σ(x) within <see cref="LogisticMaxUlpF32"/> ulps.</returns>
    public static float Logistic(float x) => Logistic(Vector256.Create(x)).ToScalar();
}
