// How compiled code splits work across cores: one helper used by the GEMM and by emitted kernels,
// so the threading threshold and the chunking policy live in one place.
namespace Cotangent.Kernels;

/// <summary>Splits an index range into chunks run on the thread pool.</summary>
public static class Threads
{
    /// <summary>Number of worker chunks compiled code may use (the machine's core count).</summary>
    public static int Workers { get; set; } = Environment.ProcessorCount;

    /// <summary>Runs <paramref name="body"/>(lo, hi) over [0, n) in at most <see cref="Workers"/>
    /// contiguous chunks whose bounds are multiples of <paramref name="grain"/>; runs inline when one
    /// chunk suffices.</summary>
    public static void For(int n, int grain, Action<int, int> body)
    {
        int chunks = Math.Min(Workers, Math.Max(1, n / Math.Max(1, grain)));
        if (chunks <= 1) { body(0, n); return; }
        int per = (n + chunks - 1) / chunks;
        per = (per + grain - 1) / grain * grain;
        Parallel.For(0, chunks, c =>
        {
            int lo = c * per, hi = Math.Min(n, lo + per);
            if (lo < hi) body(lo, hi);
        });
    }
}
