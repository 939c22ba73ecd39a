// VecMath float64: takes Vector256<double> (or one double, run as lane 0) and returns the function per
// lane, computed here rather than by the BCL's Vector256 double kernels because those switch every lane
// to a scalar fallback when one lane is out of range (a lane's result would depend on its neighbours,
// and loop tails would not match vector bodies). Guarantees:
// error ≤ the *MaxUlpF64 constant in ulps, measured against Math.* (whose own error is included);
// IEEE special values as the float32 forms.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cotangent.Kernels;

public static partial class VecMath
{
    /// <summary>Max distance of <see cref="Exp(Vector256{double})"/> from <see cref="Math.Exp"/>, in ulps.</summary>
    public const int ExpMaxUlpF64 = 2;
    /// <summary>Max distance of <see cref="Log(Vector256{double})"/> from <see cref="Math.Log(double)"/>, in ulps.</summary>
    public const int LogMaxUlpF64 = 2;
    /// <summary>Max distance of <see cref="Sin(Vector256{double})"/> from <see cref="Math.Sin"/>, in ulps.</summary>
    public const int SinMaxUlpF64 = 2;
    /// <summary>Max distance of <see cref="Cos(Vector256{double})"/> from <see cref="Math.Cos"/>, in ulps.</summary>
    public const int CosMaxUlpF64 = 2;
    /// <summary>Max distance of <see cref="Tanh(Vector256{double})"/> from <see cref="Math.Tanh"/>, in ulps.</summary>
    public const int TanhMaxUlpF64 = 3;
    /// <summary>Max distance of <see cref="Logistic(Vector256{double})"/> from 1/(1 + <see cref="Math.Exp"/>(−x)),
    /// in ulps.</summary>
    public const int LogisticMaxUlpF64 = 3;

    /// <summary>e^x per lane: x = n·ln2 + r, |r| ≤ ln2/2, e^x = 2^n·p(r) with p the degree-13 Taylor
    /// polynomial (truncation below 0.05 ulp).</summary>
    /// <param name="x">Exponents.</param>
    /// <returns>e^x within <see cref="ExpMaxUlpF64"/> ulps of <see cref="Math.Exp"/>; +∞ above ≈709.78,
    /// subnormal results rounded, 0 below ≈−745.13; exp(+∞) = +∞, exp(−∞) = 0, NaN → NaN.</returns>
    public static Vector256<double> Exp(Vector256<double> x) => ExpCore(x);

    /// <summary>e^x, rounded exactly as one lane of <see cref="Exp(Vector256{double})"/>.</summary>
    /// <param name="x">Exponent.</param>
    /// <returns>e^x within <see cref="ExpMaxUlpF64"/> ulps of <see cref="Math.Exp"/>.</returns>
    public static double Exp(double x) => ExpCore(Vector256.Create(x)).ToScalar();

    private const double ShifterD = 6755399441055744.0; // 1.5·2^52
    private const long ShifterBitsD = 0x4338000000000000;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> ExpCore(Vector256<double> x)
    {
        x = Clamp(x, -746d, 710d);
        var t = Mad(x, Vector256.Create(1.4426950408889634), Vector256.Create(ShifterD));
        var n = t - Vector256.Create(ShifterD);
        var r = Mad(n, Vector256.Create(-6.93147180369123816490e-01), x); // fdlibm ln2 split
        r = Mad(n, Vector256.Create(-1.90821492927058770002e-10), r);
        var p = Mad(Vector256.Create(1 / 6227020800.0), r, Vector256.Create(1 / 479001600.0));
        p = Mad(p, r, Vector256.Create(1 / 39916800.0));
        p = Mad(p, r, Vector256.Create(1 / 3628800.0));
        p = Mad(p, r, Vector256.Create(1 / 362880.0));
        p = Mad(p, r, Vector256.Create(1 / 40320.0));
        p = Mad(p, r, Vector256.Create(1 / 5040.0));
        p = Mad(p, r, Vector256.Create(1 / 720.0));
        p = Mad(p, r, Vector256.Create(1 / 120.0));
        p = Mad(p, r, Vector256.Create(1 / 24.0));
        p = Mad(p, r, Vector256.Create(1 / 6.0));
        p = Mad(p, r, Vector256.Create(0.5));
        var y = Mad(p, r * r, r) + Vector256.Create(1d);
        // y·2^n in two normal factors (n in [-1076, 1024]); AVX2 has no 64-bit arithmetic shift, so
        // halve n + 2048 logically: e1 = floor(n/2) + 1023, e2 = n − floor(n/2) + 1023.
        var ni = t.AsInt64() - Vector256.Create(ShifterBitsD);
        var e1 = Vector256.ShiftRightLogical(ni + Vector256.Create(2048L), 1) - Vector256.Create(1L);
        var e2 = ni - e1 + Vector256.Create(2046L);
        return y * Vector256.ShiftLeft(e1, 52).AsDouble() * Vector256.ShiftLeft(e2, 52).AsDouble();
    }

    /// <summary>Natural logarithm per lane: x = 2^k·(1 + f), 1 + f in [√½, √2); log(1 + f) by fdlibm's
    /// s = f/(2 + f) series.</summary>
    /// <param name="x">Arguments.</param>
    /// <returns>ln x within <see cref="LogMaxUlpF64"/> ulps of <see cref="Math.Log(double)"/>, subnormal x
    /// included; log(±0) = −∞, log(x &lt; 0) = NaN, log(+∞) = +∞, NaN → NaN.</returns>
    public static Vector256<double> Log(Vector256<double> x)
    {
        const long sqrtHalfBits = 0x3FE6A09E667F3BCD;
        var subnormal = Vector256.LessThan(x, Vector256.Create(2.2250738585072014e-308));
        var xs = Vector256.ConditionalSelect(subnormal, x * Vector256.Create(18014398509481984d), x); // ·2^54
        var ix = xs.AsInt64() - Vector256.Create(sqrtHalfBits);
        // k + 1023 by a logical shift (no 64-bit arithmetic shift on AVX2), made a double by the 2^52 trick.
        var biased = Vector256.ShiftRightLogical(ix + Vector256.Create(1023L << 52), 52);
        var k = (biased | Vector256.Create(0x4330000000000000L)).AsDouble() - Vector256.Create(4503599627370496d + 1023)
            - (subnormal & Vector256.Create(54d));
        var f = ((ix & Vector256.Create(0x000FFFFFFFFFFFFFL)) + Vector256.Create(sqrtHalfBits)).AsDouble()
            - Vector256.Create(1d);
        var s = f / (Vector256.Create(2d) + f);
        var z = s * s;
        var w = z * z;
        var r1 = Mad(Mad(Mad(Vector256.Create(1.479819860511658591e-01), w, Vector256.Create(1.818357216161805012e-01)),
            w, Vector256.Create(2.857142874366239149e-01)), w, Vector256.Create(6.666666666666735130e-01)) * z;
        var r2 = Mad(Mad(Vector256.Create(1.531383769920937332e-01), w, Vector256.Create(2.222219843214978396e-01)),
            w, Vector256.Create(3.999999999940941908e-01)) * w;
        var hfsq = Vector256.Create(0.5) * f * f;
        var tail = Mad(s, hfsq + r1 + r2, k * Vector256.Create(1.90821492927058770002e-10));
        var result = Mad(k, Vector256.Create(6.93147180369123816490e-01), f - (hfsq - tail));
        var finitePositive = Vector256.GreaterThan(x, Vector256<double>.Zero)
            & Vector256.LessThan(x, Vector256.Create(double.PositiveInfinity));
        if (finitePositive == Vector256<double>.AllBitsSet) return result;
        var special = Vector256.ConditionalSelect(Vector256.Equals(x, Vector256<double>.Zero),
            Vector256.Create(double.NegativeInfinity),
            Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<double>.Zero), Vector256.Create(double.NaN), x));
        return Vector256.ConditionalSelect(finitePositive, result, special);
    }

    /// <summary>ln x, rounded exactly as one lane of <see cref="Log(Vector256{double})"/>.</summary>
    /// <param name="x">Argument.</param>
    /// <returns>ln x within <see cref="LogMaxUlpF64"/> ulps of <see cref="Math.Log(double)"/>.</returns>
    public static double Log(double x) => Log(Vector256.Create(x)).ToScalar();

    /// <summary>Largest |x| that <see cref="Sin(Vector256{double})"/> and <see cref="Cos(Vector256{double})"/>
    /// reduce by the 3-part π/2; larger lanes (and ±∞) are recomputed with <see cref="Math.Sin"/> /
    /// <see cref="Math.Cos"/>.</summary>
    public const double SinCosReducedMaxF64 = 1048576d;

    /// <summary>Sine per lane: |x| = q·π/2 + r, fdlibm's sin/cos kernels on r picked by q mod 4.</summary>
    /// <param name="x">Angles in radians.</param>
    /// <returns>sin x within <see cref="SinMaxUlpF64"/> ulps of <see cref="Math.Sin"/>; sin(±∞) = NaN,
    /// NaN → NaN.</returns>
    public static Vector256<double> Sin(Vector256<double> x) => SinCos(x, 0);

    /// <summary>sin x, rounded exactly as one lane of <see cref="Sin(Vector256{double})"/>.</summary>
    /// <param name="x">Angle in radians.</param>
    /// <returns>sin x within <see cref="SinMaxUlpF64"/> ulps of <see cref="Math.Sin"/>.</returns>
    public static double Sin(double x) => SinCos(Vector256.Create(x), 0).ToScalar();

    /// <summary>Cosine per lane: |x| = q·π/2 + r, fdlibm's sin/cos kernels on r picked by (q + 1) mod 4.</summary>
    /// <param name="x">Angles in radians.</param>
    /// <returns>cos x within <see cref="CosMaxUlpF64"/> ulps of <see cref="Math.Cos"/>; cos(±∞) = NaN,
    /// NaN → NaN.</returns>
    public static Vector256<double> Cos(Vector256<double> x) => SinCos(x, 1);

    /// <summary>cos x, rounded exactly as one lane of <see cref="Cos(Vector256{double})"/>.</summary>
    /// <param name="x">Angle in radians.</param>
    /// <returns>cos x within <see cref="CosMaxUlpF64"/> ulps of <see cref="Math.Cos"/>.</returns>
    public static double Cos(double x) => SinCos(Vector256.Create(x), 1).ToScalar();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> SinCos(Vector256<double> x, int quadrantOffset)
    {
        var ax = Vector256.Abs(x);
        var t = Mad(ax, Vector256.Create(0.63661977236758134), Vector256.Create(ShifterD));
        var q = t - Vector256.Create(ShifterD);
        Vector256<double> r;
        if (Fma.IsSupported)
        {
            r = Mad(q, Vector256.Create(-1.5707963267948966), ax);
            r = Mad(q, Vector256.Create(-6.123233995736766e-17), r);
            r = Mad(q, Vector256.Create(1.4973849048591698e-33), r);
        }
        else
        {
            // Cephes' split (trailing zeros in the first two parts keep q·part exact).
            r = ax - q * Vector256.Create(1.57079625129699707031);
            r -= q * Vector256.Create(7.54978941586159635336E-8);
            r -= q * Vector256.Create(5.39030285815811905290E-15);
        }
        var quadrant = t.AsInt64() - Vector256.Create(ShifterBitsD - quadrantOffset);
        var z = r * r;
        var s = Mad(Vector256.Create(1.58969099521155010221e-10), z, Vector256.Create(-2.50507602534068634195e-08));
        s = Mad(s, z, Vector256.Create(2.75573137070700676789e-06));
        s = Mad(s, z, Vector256.Create(-1.98412698298579493134e-04));
        s = Mad(s, z, Vector256.Create(8.33333333332248946124e-03));
        s = Mad(s, z, Vector256.Create(-1.66666666666666324348e-01));
        s = Mad(s * z, r, r);
        var c = Mad(Vector256.Create(-1.13596475577881948265e-11), z, Vector256.Create(2.08757232129817482790e-09));
        c = Mad(c, z, Vector256.Create(-2.75573143513906633035e-07));
        c = Mad(c, z, Vector256.Create(2.48015872894767294178e-05));
        c = Mad(c, z, Vector256.Create(-1.38888888888741095749e-03));
        c = Mad(c, z, Vector256.Create(4.16666666666666019037e-02));
        // 1 − z/2 + z²·C(z), with the rounding error of 1 − z/2 added back (fdlibm's __kernel_cos).
        var hz = Vector256.Create(0.5) * z;
        var w = Vector256.Create(1d) - hz;
        c = w + (((Vector256.Create(1d) - w) - hz) + c * z * z);
        var useCos = Vector256.Equals(quadrant & Vector256.Create(1L), Vector256.Create(1L)).AsDouble();
        var sign = Vector256.ShiftLeft(quadrant & Vector256.Create(2L), 62).AsDouble();
        if (quadrantOffset == 0) sign ^= x & Vector256.Create(-0d);
        var result = Vector256.ConditionalSelect(useCos, c, s) ^ sign;
        var large = Vector256.GreaterThan(ax, Vector256.Create(SinCosReducedMaxF64));
        return large == Vector256<double>.Zero ? result : SinCosLarge(x, result, large, quadrantOffset);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector256<double> SinCosLarge(Vector256<double> x, Vector256<double> reduced,
        Vector256<double> large, int quadrantOffset)
    {
        Span<double> lanes = stackalloc double[4];
        reduced.CopyTo(lanes);
        for (int i = 0; i < 4; i++)
            if (large.AsInt64().GetElement(i) != 0)
                lanes[i] = quadrantOffset == 0 ? Math.Sin(x.GetElement(i)) : Math.Cos(x.GetElement(i));
        return Vector256.Create((ReadOnlySpan<double>)lanes);
    }

    /// <summary>Hyperbolic tangent per lane: x + x³·P(x²)/Q(x²) (cephes) below 0.625, else
    /// 1 − 2/(e^{2|x|} + 1) with x's sign.</summary>
    /// <param name="x">Arguments.</param>
    /// <returns>tanh x within <see cref="TanhMaxUlpF64"/> ulps of <see cref="Math.Tanh"/>;
    /// tanh(±∞) = ±1, NaN → NaN.</returns>
    public static Vector256<double> Tanh(Vector256<double> x)
    {
        var ax = Vector256.Abs(x);
        var z = x * x;
        var p = Mad(Vector256.Create(-9.64399179425052238628E-1), z, Vector256.Create(-9.92877231001918586564E1));
        p = Mad(p, z, Vector256.Create(-1.61468768441708447952E3));
        var q = Mad(z + Vector256.Create(1.12811678491632931402E2), z, Vector256.Create(2.23548839060100448583E3));
        q = Mad(q, z, Vector256.Create(4.84406305325125486048E3));
        var small = Mad(z * p / q, ax, ax);
        var e = ExpCore(ax + ax);
        var large = Vector256.Create(1d) - Vector256.Create(2d) / (e + Vector256.Create(1d));
        return WithSignOf(Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.625)), small, large), x);
    }

    /// <summary>tanh x, rounded exactly as one lane of <see cref="Tanh(Vector256{double})"/>.</summary>
    /// <param name="x">Argument.</param>
    /// <returns>tanh x within <see cref="TanhMaxUlpF64"/> ulps of <see cref="Math.Tanh"/>.</returns>
    public static double Tanh(double x) => Tanh(Vector256.Create(x)).ToScalar();

    /// <summary>Logistic sigmoid 1/(1 + e^{−x}) per lane, as e/(1 + e) with e = e^x for x &lt; 0 so
    /// tiny results keep their accuracy.</summary>
    /// <param name="x">Arguments.</param>
    /// <returns>σ(x) within <see cref="LogisticMaxUlpF64"/> ulps; σ(+∞) = 1, σ(−∞) = 0, NaN → NaN.</returns>
    public static Vector256<double> Logistic(Vector256<double> x)
    {
        var e = ExpCore(-Vector256.Abs(x));
        var numerator = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<double>.Zero), e, Vector256.Create(1d));
        return numerator / (Vector256.Create(1d) + e);
    }

    /// <summary>σ(x), rounded exactly as one lane of <see cref="Logistic(Vector256{double})"/>.</summary>
    /// <param name="x">Argument.</param>
    /// <returns>σ(x) within <see cref="LogisticMaxUlpF64"/> ulps.</returns>
    public static double Logistic(double x) => Logistic(Vector256.Create(x)).ToScalar();
}
