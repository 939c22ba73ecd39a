// VecMath: exp, log, sin, cos, tanh and logistic on Vector256<float> and Vector256<double>, called
// from emitted IL; the scalar overloads broadcast into one vector and read lane 0, so loop tails round
// exactly as vector bodies do. Float32 code lives in VecMath.Single.cs, float64 in VecMath.Double.cs;
// each states its ulp bounds (the *MaxUlp* constants, checked by VecMathTests). This file: shared helpers.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cotangent.Kernels;

/// <summary>Vector256 approximations of elementary functions with documented ulp bounds and IEEE
/// special values; see the <c>*MaxUlp*</c> constants for the bound of each function.</summary>
public static partial class VecMath
{
    // a·b + c: one rounding where FMA exists (the bounds are measured on that path), two otherwise.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Mad(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Mad(Vector256<double> a, Vector256<double> b, Vector256<double> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    // min(hi, max(lo, x)) that keeps NaN: maxps/minps return their second operand when either is NaN;
    // the portable Vector256.Min/Max propagate NaN too.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Clamp(Vector256<float> x, float lo, float hi) =>
        Avx.IsSupported
            ? Avx.Min(Vector256.Create(hi), Avx.Max(Vector256.Create(lo), x))
            : Vector256.Min(Vector256.Create(hi), Vector256.Max(Vector256.Create(lo), x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Clamp(Vector256<double> x, double lo, double hi) =>
        Avx.IsSupported
            ? Avx.Min(Vector256.Create(hi), Avx.Max(Vector256.Create(lo), x))
            : Vector256.Min(Vector256.Create(hi), Vector256.Max(Vector256.Create(lo), x));

    // |y| with the sign of s (y must be non-negative or NaN).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> WithSignOf(Vector256<float> y, Vector256<float> s) =>
        y | (s & Vector256.Create(-0f));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> WithSignOf(Vector256<double> y, Vector256<double> s) =>
        y | (s & Vector256.Create(-0d));
}
