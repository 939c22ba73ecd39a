// GemmKernels: the register-tiled micro-kernels. Each takes one packed A panel (MR rows, kc deep) and
// one packed B panel (NR columns, 64-byte aligned) and writes, or adds, their MR×NR product to a full
// tile of C. All MR·NR/lanes accumulators live in registers for the whole k loop (12 of the 16 ymm);
// the block sizes next to each kernel are what the driver caches (L1: a B panel, L2: an A block).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cotangent.Kernels;

/// <summary>A micro-kernel and its blocking: the driver's only view of the element type.</summary>
internal unsafe interface IMicroKernel<T> where T : unmanaged
{
    /// <summary>Rows of a register tile (and of a packed A panel).</summary>
    static abstract int MR { get; }
    /// <summary>Columns of a register tile (and of a packed B panel).</summary>
    static abstract int NR { get; }
    /// <summary>Depth of a packed block: an NR×KC B panel fits L1 alongside an A panel.</summary>
    static abstract int KC { get; }
    /// <summary>Largest row block: an MC×KC packed A block fits L2.</summary>
    static abstract int MC { get; }
    /// <summary>Largest column block: a KC×NC packed B block fits L3.</summary>
    static abstract int NC { get; }
    /// <summary>tile[0..MR, 0..NR] (+)= A panel · B panel over depth kc; tile rows ldc apart.</summary>
    static abstract void Run(int kc, T* a, T* b, T* c, int ldc, bool add);
}

/// <summary>6×16 float32 kernel: per k step, two B vectors, six broadcasts, twelve FMAs.</summary>
internal readonly unsafe struct SgemmKernel : IMicroKernel<float>
{
    public static int MR => 6;
    public static int NR => 16;
    public static int KC => 256;
    public static int MC => 144;
    public static int NC => 4080;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, int ldc, bool add)
    {
        if (!Fma.IsSupported) { PortableKernel<float>.Run(6, 16, kc, a, b, c, ldc, add); return; }
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, a += 6, b += 16)
        {
            Vector256<float> b0 = Avx.LoadAlignedVector256(b), b1 = Avx.LoadAlignedVector256(b + 8);
            Vector256<float> ai = Avx.BroadcastScalarToVector256(a);
            c00 = Fma.MultiplyAdd(ai, b0, c00); c01 = Fma.MultiplyAdd(ai, b1, c01);
            ai = Avx.BroadcastScalarToVector256(a + 1);
            c10 = Fma.MultiplyAdd(ai, b0, c10); c11 = Fma.MultiplyAdd(ai, b1, c11);
            ai = Avx.BroadcastScalarToVector256(a + 2);
            c20 = Fma.MultiplyAdd(ai, b0, c20); c21 = Fma.MultiplyAdd(ai, b1, c21);
            ai = Avx.BroadcastScalarToVector256(a + 3);
            c30 = Fma.MultiplyAdd(ai, b0, c30); c31 = Fma.MultiplyAdd(ai, b1, c31);
            ai = Avx.BroadcastScalarToVector256(a + 4);
            c40 = Fma.MultiplyAdd(ai, b0, c40); c41 = Fma.MultiplyAdd(ai, b1, c41);
            ai = Avx.BroadcastScalarToVector256(a + 5);
            c50 = Fma.MultiplyAdd(ai, b0, c50); c51 = Fma.MultiplyAdd(ai, b1, c51);
        }
        Store(c, c00, c01, add); Store(c + ldc, c10, c11, add); Store(c + 2 * ldc, c20, c21, add);
        Store(c + 3 * ldc, c30, c31, add); Store(c + 4 * ldc, c40, c41, add); Store(c + 5 * ldc, c50, c51, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector256<float> v0, Vector256<float> v1, bool add)
    {
        if (add) { v0 += Avx.LoadVector256(row); v1 += Avx.LoadVector256(row + 8); }
        Avx.Store(row, v0);
        Avx.Store(row + 8, v1);
    }
}

/// <summary>6×8 float64 kernel: per k step, two B vectors, six broadcasts, twelve FMAs.</summary>
internal readonly unsafe struct DgemmKernel : IMicroKernel<double>
{
    public static int MR => 6;
    public static int NR => 8;
    public static int KC => 256;
    public static int MC => 72;
    public static int NC => 4080;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, double* a, double* b, double* c, int ldc, bool add)
    {
        if (!Fma.IsSupported) { PortableKernel<double>.Run(6, 8, kc, a, b, c, ldc, add); return; }
        Vector256<double> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<double> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, a += 6, b += 8)
        {
            Vector256<double> b0 = Avx.LoadAlignedVector256(b), b1 = Avx.LoadAlignedVector256(b + 4);
            Vector256<double> ai = Avx.BroadcastScalarToVector256(a);
            c00 = Fma.MultiplyAdd(ai, b0, c00); c01 = Fma.MultiplyAdd(ai, b1, c01);
            ai = Avx.BroadcastScalarToVector256(a + 1);
            c10 = Fma.MultiplyAdd(ai, b0, c10); c11 = Fma.MultiplyAdd(ai, b1, c11);
            ai = Avx.BroadcastScalarToVector256(a + 2);
            c20 = Fma.MultiplyAdd(ai, b0, c20); c21 = Fma.MultiplyAdd(ai, b1, c21);
            ai = Avx.BroadcastScalarToVector256(a + 3);
            c30 = Fma.MultiplyAdd(ai, b0, c30); c31 = Fma.MultiplyAdd(ai, b1, c31);
            ai = Avx.BroadcastScalarToVector256(a + 4);
            c40 = Fma.MultiplyAdd(ai, b0, c40); c41 = Fma.MultiplyAdd(ai, b1, c41);
            ai = Avx.BroadcastScalarToVector256(a + 5);
            c50 = Fma.MultiplyAdd(ai, b0, c50); c51 = Fma.MultiplyAdd(ai, b1, c51);
        }
        Store(c, c00, c01, add); Store(c + ldc, c10, c11, add); Store(c + 2 * ldc, c20, c21, add);
        Store(c + 3 * ldc, c30, c31, add); Store(c + 4 * ldc, c40, c41, add); Store(c + 5 * ldc, c50, c51, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(double* row, Vector256<double> v0, Vector256<double> v1, bool add)
    {
        if (add) { v0 += Avx.LoadVector256(row); v1 += Avx.LoadVector256(row + 4); }
        Avx.Store(row, v0);
        Avx.Store(row + 4, v1);
    }
}

/// <summary>Scalar stand-in for machines without FMA: same contract, same packed layout.</summary>
internal static unsafe class PortableKernel<T> where T : unmanaged, System.Numerics.INumberBase<T>
{
    public static void Run(int mr, int nr, int kc, T* a, T* b, T* c, int ldc, bool add)
    {
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < kc; p++) sum += a[p * mr + i] * b[p * nr + j];
                c[(long)i * ldc + j] = add ? c[(long)i * ldc + j] + sum : sum;
            }
    }
}
