// GemmPack: copies a kc-deep slice of A or B into the panel layout the micro-kernel streams through:
// A as MR-row panels (element (i, p) of a panel at p·MR + i), B as NR-column panels (p·NR + j).
// Takes either storage order (the transposes are absorbed here) and any leading dimension; guarantees
// every panel is full width, the rows or columns past the matrix edge zero, and B panels 64-byte aligned.
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Cotangent.Kernels;

/// <summary>Packing of GEMM operands into micro-kernel panels.</summary>
internal static unsafe class GemmPack<T> where T : unmanaged
{
    /// <summary>Packs rows [ic, ic+mc) × depth [pc, pc+kc) of op(A) into ⌈mc/MR⌉ panels at
    /// <paramref name="dst"/>, panel r at <c>dst + r·MR·kc</c>.</summary>
    public static void PackA(bool transA, T* a, int lda, int pc, int kc, int ic, int mc, int mr, T* dst)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            T* panel = dst + (long)ir * kc;
            if (transA) Contiguous(a + (long)pc * lda + ic + ir, lda, kc, rows, mr, panel);
            else Strided(a + (long)(ic + ir) * lda + pc, lda, kc, rows, mr, panel);
        }
    }

    /// <summary>Packs NR-column panels [p0, p1) of op(B)'s block depth [pc, pc+kc) × columns
    /// [jc, jc+nc) into <paramref name="dst"/>, panel r at <c>dst + r·NR·kc</c>.</summary>
    public static void PackB(bool transB, T* b, int ldb, int pc, int kc, int jc, int nc, int nr, int p0, int p1, T* dst)
    {
        for (int r = p0; r < p1; r++)
        {
            int cols = Math.Min(nr, nc - r * nr);
            int j0 = jc + r * nr;
            T* panel = dst + (long)r * nr * kc;
            if (transB) Strided(b + (long)j0 * ldb + pc, ldb, kc, cols, nr, panel);
            else Contiguous(b + (long)pc * ldb + j0, ldb, kc, cols, nr, panel);
        }
    }

    /// <summary>dst[p·width + j] = src[p·ld + j] for j &lt; valid, 0 for valid ≤ j &lt; width.</summary>
    private static void Contiguous(T* src, int ld, int kc, int valid, int width, T* dst)
    {
        if (valid == width && width * sizeof(T) == 64)
        {
            for (int p = 0; p < kc; p++, src += ld, dst += width)
            {
                Vector256.Store(Vector256.Load((byte*)src), (byte*)dst);
                Vector256.Store(Vector256.Load((byte*)src + 32), (byte*)dst + 32);
            }
            return;
        }
        for (int p = 0; p < kc; p++, src += ld, dst += width)
        {
            int j = 0;
            for (; j < valid; j++) dst[j] = src[j];
            for (; j < width; j++) dst[j] = default;
        }
    }

    /// <summary>dst[p·width + j] = src[j·ld + p] for j &lt; valid, 0 for valid ≤ j &lt; width.</summary>
    private static void Strided(T* src, int ld, int kc, int valid, int width, T* dst)
    {
        for (int j = 0; j < valid; j++)
        {
            T* s = src + (long)j * ld;
            T* d = dst + j;
            for (int p = 0; p < kc; p++, d += width) *d = s[p];
        }
        for (int j = valid; j < width; j++)
        {
            T* d = dst + j;
            for (int p = 0; p < kc; p++, d += width) *d = default;
        }
    }
}

/// <summary>A growable 64-byte-aligned native buffer, freed when its owner is collected.</summary>
internal sealed unsafe class PackBuffer
{
    [ThreadStatic] private static PackBuffer? forThread;
    private void* ptr;
    private long bytes;

    /// <summary>The calling thread's buffer (the A block of whichever GEMM runs on it).</summary>
    public static PackBuffer ForThread => forThread ??= new PackBuffer();

    /// <summary>At least <paramref name="size"/> bytes; contents are not preserved across growth.</summary>
    public void* Get(long size)
    {
        if (size > bytes)
        {
            NativeMemory.AlignedFree(ptr);
            ptr = null;
            bytes = 0;
            long grown = Math.Max(size, 64 * 1024);
            ptr = NativeMemory.AlignedAlloc((nuint)grown, 64);
            bytes = grown;
        }
        return ptr;
    }

    ~PackBuffer() => NativeMemory.AlignedFree(ptr);
}
