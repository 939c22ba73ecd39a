// Gemm: C = op(A)·op(B), or C += op(A)·op(B), for row-major float32/float64 operands with leading
// dimensions. BLIS loop nest (jc → pc → pack B → ic → pack A → jr → ir → micro-kernel) over packed,
// zero-padded panels, so any m, n, k (0 and 1 included) runs the full-tile kernel. Guarantees: exactly
// the m×n elements of C are written; k = 0 gives zeros (or leaves C when accumulating); no allocation
// once the per-thread pack buffers have grown to the block sizes, beyond Parallel.For's own.
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Cotangent.Kernels;

/// <summary>General matrix multiply on row-major pointers: a packed, cache-blocked, register-tiled
/// Vector256 FMA GEMM, split across <see cref="Threads.Workers"/> cores when the problem is large.</summary>
public static unsafe class Gemm
{
    /// <summary>Computes <c>C = op(A)·op(B)</c>, or <c>C += op(A)·op(B)</c> when
    /// <paramref name="accumulate"/>, in float32 with float32 accumulation.</summary>
    /// <param name="transA">False: A is stored [m, k] (element (i, p) at <c>a[i·lda + p]</c>); true: A is
    /// stored [k, m] (element (i, p) at <c>a[p·lda + i]</c>), so op(A) = Aᵀ.</param>
    /// <param name="transB">False: B is stored [k, n] (element (p, j) at <c>b[p·ldb + j]</c>); true: B is
    /// stored [n, k] (element (p, j) at <c>b[j·ldb + p]</c>).</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B); 0 gives zeros.</param>
    /// <param name="a">A's first element.</param>
    /// <param name="lda">Distance in elements between A's stored rows.</param>
    /// <param name="b">B's first element.</param>
    /// <param name="ldb">Distance in elements between B's stored rows.</param>
    /// <param name="c">C's first element; C is [m, n], element (i, j) at <c>c[i·ldc + j]</c>.</param>
    /// <param name="ldc">Distance in elements between C's rows.</param>
    /// <param name="accumulate">Add the product to C instead of overwriting it.</param>
    /// <param name="parallel">Allow splitting across cores (only done when the problem is large enough);
    /// false runs on the calling thread.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative, or a leading dimension
    /// is smaller than its stored row length.</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float* a, int lda, float* b, int ldb,
                             float* c, int ldc, bool accumulate, bool parallel = true)
    {
        Check(transA, transB, m, n, k, lda, ldb, ldc);
        GemmDriver<float, SgemmKernel>.Run(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, parallel);
    }

    /// <summary>Computes <c>C = op(A)·op(B)</c>, or <c>C += op(A)·op(B)</c> when
    /// <paramref name="accumulate"/>, in float64.</summary>
    /// <param name="transA">False: A is stored [m, k]; true: A is stored [k, m], so op(A) = Aᵀ.</param>
    /// <param name="transB">False: B is stored [k, n]; true: B is stored [n, k], so op(B) = Bᵀ.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B); 0 gives zeros.</param>
    /// <param name="a">A's first element.</param>
    /// <param name="lda">Distance in elements between A's stored rows.</param>
    /// <param name="b">B's first element.</param>
    /// <param name="ldb">Distance in elements between B's stored rows.</param>
    /// <param name="c">C's first element; C is [m, n], element (i, j) at <c>c[i·ldc + j]</c>.</param>
    /// <param name="ldc">Distance in elements between C's rows.</param>
    /// <param name="accumulate">Add the product to C instead of overwriting it.</param>
    /// <param name="parallel">Allow splitting across cores (only done when the problem is large enough);
    /// false runs on the calling thread.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative, or a leading dimension
    /// is smaller than its stored row length.</exception>
    public static void Dgemm(bool transA, bool transB, int m, int n, int k, double* a, int lda, double* b, int ldb,
                             double* c, int ldc, bool accumulate, bool parallel = true)
    {
        Check(transA, transB, m, n, k, lda, ldb, ldc);
        GemmDriver<double, DgemmKernel>.Run(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, parallel);
    }

    private static void Check(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(lda, transA ? m : k);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldb, transB ? k : n);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldc, n);
    }
}

/// <summary>The loop nest around a micro-kernel; one instantiation per (element type, kernel).</summary>
internal static unsafe class GemmDriver<T, K>
    where T : unmanaged, INumberBase<T>
    where K : IMicroKernel<T>
{
    /// <summary>Below this many multiply-adds a second thread costs more than it saves.</summary>
    private const long ParallelMinWork = 64L * 64 * 64;

    [ThreadStatic] private static Job? cachedJob;

    public static void Run(bool transA, bool transB, int m, int n, int k, T* a, int lda, T* b, int ldb,
                           T* c, int ldc, bool accumulate, bool parallel)
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++) new Span<T>(c + (long)i * ldc, n).Clear();
            return;
        }
        bool split = parallel && Threads.Workers > 1 && (long)m * n * k >= ParallelMinWork;
        // One Job per calling thread: its B buffer and delegates are reused, so a call allocates nothing
        // once warm. A nested call on the same thread (none today) would take a fresh one.
        Job job = cachedJob ?? new Job();
        cachedJob = null;
        try
        {
            job.Set(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            job.Execute(split);
        }
        finally { cachedJob = job; }
    }

    /// <summary>One call's operands and the packed B block its workers share.</summary>
    private sealed class Job
    {
        private readonly PackBuffer bBuffer = new();
        private readonly Action<int, int> packB, worker;
        private bool transA, transB, accumulate;
        private int m, n, k, lda, ldb, ldc, jc, nc, pc, kc;
        // Dynamic split: workers claim chunks (of chunkSize row tiles, or of B panels) from nextChunk,
        // so a worker slowed by another process on the shared cores takes fewer of them.
        private bool splitRows;
        private int chunkSize, chunks, nextChunk;
        private T* a, b, c, bp;

        public Job()
        {
            packB = (lo, hi) => GemmPack<T>.PackB(transB, b, ldb, pc, kc, jc, nc, K.NR, lo, hi, bp);
            worker = (_, _) => Claim();
        }

        private int Panels => (nc + K.NR - 1) / K.NR;

        public void Set(bool transA, bool transB, int m, int n, int k, T* a, int lda, T* b, int ldb,
                        T* c, int ldc, bool accumulate)
        {
            (this.transA, this.transB, this.m, this.n, this.k, this.accumulate) = (transA, transB, m, n, k, accumulate);
            (this.lda, this.ldb, this.ldc) = (lda, ldb, ldc);
            this.a = a;
            this.b = b;
            this.c = c;
        }

        public void Execute(bool split)
        {
            int rowTiles = (m + K.MR - 1) / K.MR;
            for (jc = 0; jc < n; jc += K.NC)
            {
                nc = Math.Min(K.NC, n - jc);
                for (pc = 0; pc < k; pc += K.KC)
                {
                    kc = Math.Min(K.KC, k - pc);
                    bp = (T*)bBuffer.Get(Panels * K.NR * kc * sizeof(T));
                    if (!split) { packB(0, Panels); Block(0, m, 0, Panels); continue; }
                    Threads.For(Panels, 1, packB);
                    // A rows split keeps each worker's A block private and B shared; with few rows,
                    // split B's panels instead (each worker packs the same small A).
                    int pieces = 4 * Threads.Workers;
                    splitRows = rowTiles >= pieces;
                    int units = splitRows ? rowTiles : Panels;
                    chunkSize = Math.Max(1, Math.Min((units + pieces - 1) / pieces, splitRows ? K.MC / K.MR : units));
                    chunks = (units + chunkSize - 1) / chunkSize;
                    nextChunk = 0;
                    Threads.For(Threads.Workers, 1, worker);
                }
            }
        }

        private void Claim()
        {
            for (int i; (i = Interlocked.Increment(ref nextChunk) - 1) < chunks;)
            {
                int lo = i * chunkSize, hi = lo + chunkSize;
                if (splitRows) Block(lo * K.MR, Math.Min(m, hi * K.MR), 0, Panels);
                else Block(0, m, lo, Math.Min(Panels, hi));
            }
        }

        /// <summary>C[i0..i1, panels p0..p1 of this jc block] (+)= A[i0..i1, pc block] · packed B.</summary>
        private void Block(int i0, int i1, int p0, int p1)
        {
            int rows = i1 - i0;
            int blocks = (rows + K.MC - 1) / K.MC;
            int mc = ((rows + blocks - 1) / blocks + K.MR - 1) / K.MR * K.MR;
            T* ap = (T*)PackBuffer.ForThread.Get(mc * kc * sizeof(T));
            bool add = accumulate || pc > 0;
            for (int ic = i0; ic < i1; ic += mc)
            {
                int mcHere = Math.Min(mc, i1 - ic);
                GemmPack<T>.PackA(transA, a, lda, pc, kc, ic, mcHere, K.MR, ap);
                for (int jr = p0; jr < p1; jr++)
                {
                    int nr = Math.Min(K.NR, nc - jr * K.NR);
                    T* bPanel = bp + (long)jr * K.NR * kc;
                    for (int ir = 0; ir < mcHere; ir += K.MR)
                    {
                        int mr = Math.Min(K.MR, mcHere - ir);
                        T* cTile = c + (long)(ic + ir) * ldc + jc + jr * K.NR;
                        if (mr == K.MR && nr == K.NR) K.Run(kc, ap + ir * kc, bPanel, cTile, ldc, add);
                        else EdgeTile(ap + ir * kc, bPanel, cTile, mr, nr, add);
                    }
                }
            }
        }

        /// <summary>A partial tile: the full kernel into a scratch tile, then its valid corner into C.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void EdgeTile(T* ap, T* bPanel, T* cTile, int mr, int nr, bool add)
        {
            T* tile = stackalloc T[K.MR * K.NR];
            K.Run(kc, ap, bPanel, tile, K.NR, false);
            for (int i = 0; i < mr; i++)
                for (int j = 0; j < nr; j++)
                    cTile[(long)i * ldc + j] = add ? cTile[(long)i * ldc + j] + tile[i * K.NR + j] : tile[i * K.NR + j];
        }
    }
}
