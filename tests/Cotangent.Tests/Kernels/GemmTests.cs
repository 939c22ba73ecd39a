// GemmTests: Gemm.Sgemm/Dgemm against a naive triple loop accumulated in double, over every
// transpose combination, edge sizes around the 6×16 / 6×8 tiles and the KC/NC blocks, padded leading
// dimensions, accumulate and parallel on and off. C's padding is NaN and must stay NaN (bitwise).
using System.Numerics;
using Cotangent.Kernels;
using Xunit;

namespace Cotangent.Tests;

public unsafe class GemmTests
{
    private static readonly int[] Sizes = [0, 1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 64, 100, 129];

    /// <summary>One GEMM problem: shapes, storage, flags.</summary>
    private readonly record struct Case(bool TransA, bool TransB, int M, int N, int K,
                                       int PadA, int PadB, int PadC, bool Accumulate, bool Parallel)
    {
        public override string ToString() =>
            $"transA={TransA} transB={TransB} m={M} n={N} k={K} pads=({PadA},{PadB},{PadC}) acc={Accumulate} par={Parallel}";
    }

    private static void SgemmCall(Case t, float* a, int lda, float* b, int ldb, float* c, int ldc) =>
        Gemm.Sgemm(t.TransA, t.TransB, t.M, t.N, t.K, a, lda, b, ldb, c, ldc, t.Accumulate, t.Parallel);

    private static void DgemmCall(Case t, double* a, int lda, double* b, int ldb, double* c, int ldc) =>
        Gemm.Dgemm(t.TransA, t.TransB, t.M, t.N, t.K, a, lda, b, ldb, c, ldc, t.Accumulate, t.Parallel);

    /// <summary>Runs <paramref name="t"/> through <paramref name="gemm"/>, checks every element of C
    /// against the double-accumulated reference within (k + 2)·4·eps relative to Σ|a·b| + |c₀|, and
    /// checks C's padding is untouched. Returns C (m × ldc) for bitwise comparisons.</summary>
    private static T[] Verify<T>(Case t, int seed,
        delegate*<Case, T*, int, T*, int, T*, int, void> gemm)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rnd = new Random(seed);
        int aRows = t.TransA ? t.K : t.M, aCols = t.TransA ? t.M : t.K, lda = aCols + t.PadA;
        int bRows = t.TransB ? t.N : t.K, bCols = t.TransB ? t.K : t.N, ldb = bCols + t.PadB;
        int ldc = t.N + t.PadC;
        T[] a = Fill<T>(aRows, aCols, lda, rnd), b = Fill<T>(bRows, bCols, ldb, rnd), c = Fill<T>(t.M, t.N, ldc, rnd);
        T[] c0 = (T[])c.Clone();
        fixed (T* pa = a, pb = b, pc = c) gemm(t, pa, lda, pb, ldb, pc, ldc);

        double eps = double.CreateChecked(Eps<T>());
        for (int i = 0; i < t.M; i++)
        {
            for (int j = 0; j < t.N; j++)
            {
                double sum = 0, mag = 0;
                for (int p = 0; p < t.K; p++)
                {
                    double x = double.CreateChecked(t.TransA ? a[p * lda + i] : a[i * lda + p]);
                    double y = double.CreateChecked(t.TransB ? b[j * ldb + p] : b[p * ldb + j]);
                    sum += x * y;
                    mag += Math.Abs(x * y);
                }
                double start = t.Accumulate ? double.CreateChecked(c0[i * ldc + j]) : 0;
                double got = double.CreateChecked(c[i * ldc + j]);
                double tol = (t.K + 2) * 4 * eps * (mag + Math.Abs(start)) + 1e-30;
                Assert.True(Math.Abs(got - (sum + start)) <= tol,
                    $"{typeof(T).Name} {t}: C[{i},{j}] = {got}, expected {sum + start} ± {tol}");
            }
            for (int j = t.N; j < ldc; j++)
                Assert.True(T.IsNaN(c[i * ldc + j]), $"{typeof(T).Name} {t}: padding C[{i},{j}] was written");
        }
        return c;
    }

    private static T Eps<T>() where T : IFloatingPointIeee754<T> => T.BitIncrement(T.One) - T.One;

    /// <summary>rows × ld values: uniform in [-1, 1) for the first cols of each row, NaN in the padding.</summary>
    private static T[] Fill<T>(int rows, int cols, int ld, Random rnd) where T : IFloatingPointIeee754<T>
    {
        var x = new T[rows * ld];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < ld; j++)
                x[i * ld + j] = j < cols ? T.CreateChecked(rnd.NextDouble() * 2 - 1) : T.NaN;
        return x;
    }

    private static void Both(Case t, int seed)
    {
        Verify<float>(t, seed, &SgemmCall);
        Verify<double>(t, seed, &DgemmCall);
    }

    public static TheoryData<bool, bool> TransCombos => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    /// <summary>Each size in <see cref="Sizes"/> as m, as n and as k (the others off the tile grid),
    /// with odd paddings and all four accumulate/parallel combinations.</summary>
    [Theory]
    [MemberData(nameof(TransCombos))]
    public void EdgeSizesMatchNaive(bool transA, bool transB)
    {
        int seed = 0;
        foreach (int s in Sizes)
            foreach (var (m, n, k) in new[] { (s, s, s), (s, 17, 33), (33, s, 17), (17, 33, s) })
                for (int flags = 0; flags < 4; flags++)
                    Both(new Case(transA, transB, m, n, k, PadA: flags * 3 % 5, PadB: (flags + 1) * 7 % 9,
                                  PadC: flags % 3, Accumulate: (flags & 1) != 0, Parallel: (flags & 2) != 0), seed++);
    }

    /// <summary>Random shapes up to 70 with random transposes, paddings and flags (seeded, so a
    /// failure names a reproducible case).</summary>
    [Fact]
    public void RandomShapesMatchNaive()
    {
        var rnd = new Random(20240611);
        for (int trial = 0; trial < 300; trial++)
        {
            var t = new Case(rnd.Next(2) == 1, rnd.Next(2) == 1, rnd.Next(71), rnd.Next(71), rnd.Next(71),
                             rnd.Next(4) == 0 ? 0 : rnd.Next(1, 40), rnd.Next(4) == 0 ? 0 : rnd.Next(1, 40),
                             rnd.Next(4) == 0 ? 0 : rnd.Next(1, 9), rnd.Next(2) == 1, rnd.Next(2) == 1);
            Both(t, trial);
        }
    }

    /// <summary>Shapes spanning several KC depth blocks, MC row blocks per worker and NC column blocks,
    /// and the few-rows case that splits over B's panels.</summary>
    [Theory]
    [MemberData(nameof(TransCombos))]
    public void LargeShapesMatchNaive(bool transA, bool transB)
    {
        Both(new Case(transA, transB, 300, 257, 513, 3, 5, 1, Accumulate: false, Parallel: true), 1);
        Both(new Case(transA, transB, 300, 257, 513, 0, 0, 2, Accumulate: true, Parallel: false), 2);
        Both(new Case(transA, transB, 7, 600, 300, 1, 0, 0, Accumulate: true, Parallel: true), 3);
        Both(new Case(transA, transB, 13, 4100, 20, 0, 1, 3, Accumulate: false, Parallel: true), 4);
    }

    /// <summary>Every element's summation order is fixed by the blocking, so splitting across cores
    /// changes no bit of the result.</summary>
    [Fact]
    public void ParallelIsBitwiseSerial()
    {
        foreach (var (m, n, k) in new[] { (300, 257, 513), (7, 600, 300), (129, 129, 129) })
        {
            var t = new Case(false, true, m, n, k, 1, 2, 3, Accumulate: true, Parallel: true);
            Assert.Equal(Verify<float>(t with { Parallel = false }, 9, &SgemmCall), Verify<float>(t, 9, &SgemmCall));
            Assert.Equal(Verify<double>(t with { Parallel = false }, 9, &DgemmCall), Verify<double>(t, 9, &DgemmCall));
        }
    }

    /// <summary>k = 0: C becomes zero, or is left alone when accumulating; m = 0 or n = 0 touch nothing.</summary>
    [Fact]
    public void EmptyProductsAreZeroOrNoOp()
    {
        float[] c = [1, 2, 3, 4, 5, 6];
        fixed (float* pc = c)
        {
            Gemm.Sgemm(false, false, 2, 3, 0, null, 0, null, 3, pc, 3, accumulate: true);
            Assert.Equal([1f, 2, 3, 4, 5, 6], c);
            Gemm.Sgemm(false, false, 0, 3, 4, null, 4, null, 3, pc, 3, accumulate: false);
            Gemm.Sgemm(false, false, 2, 0, 4, null, 4, null, 0, pc, 3, accumulate: false);
            Assert.Equal([1f, 2, 3, 4, 5, 6], c);
            Gemm.Sgemm(true, true, 2, 2, 0, null, 2, null, 0, pc, 3, accumulate: false);
            Assert.Equal([0f, 0, 3, 0, 0, 6], c);
        }
    }

    /// <summary>Once the pack buffers have grown, a single-threaded call allocates nothing managed.</summary>
    [Fact]
    public void SerialCallAllocatesNothingWhenWarm()
    {
        const int n = 300;
        float[] x = new float[n * n], xc = new float[n * n];
        double[] y = new double[n * n], yc = new double[n * n];
        fixed (float* p = x, pc = xc)
        fixed (double* q = y, qc = yc)
        {
            Gemm.Sgemm(false, true, n, n, n, p, n, p, n, pc, n, false, parallel: false);
            Gemm.Dgemm(true, false, n, n, n, q, n, q, n, qc, n, true, parallel: false);
            long before = GC.GetAllocatedBytesForCurrentThread();
            Gemm.Sgemm(false, true, n, n, n, p, n, p, n, pc, n, false, parallel: false);
            Gemm.Dgemm(true, false, n, n, n, q, n, q, n, qc, n, true, parallel: false);
            Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        }
    }

    /// <summary>Negative dimensions and leading dimensions shorter than a stored row are rejected.</summary>
    [Fact]
    public void BadArgumentsThrow()
    {
        var d = new double[64];
        fixed (double* p = d)
        {
            double* q = p;
            Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Dgemm(false, false, -1, 2, 2, q, 2, q, 2, q, 2, false));
            Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Dgemm(false, false, 2, 2, 3, q, 2, q, 2, q, 2, false));
            Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Dgemm(true, false, 3, 2, 2, q, 2, q, 2, q, 2, false));
            Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Dgemm(false, true, 2, 2, 3, q, 3, q, 2, q, 2, false));
            Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Dgemm(false, false, 2, 3, 2, q, 2, q, 3, q, 2, false));
        }
    }
}
