// Check: assertions on tensors (shape, dtype, weak type and values, with a float tolerance).
using Cotangent;
using Xunit;

namespace Cotangent.Tests;

internal static class Check
{
    /// <summary>Asserts dtype, shape and float32 values (to a relative tolerance of 1e-6).</summary>
    public static void F32(Tensor t, int[] shape, params float[] expected)
    {
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(shape, t.Shape);
        Close(expected.Select(x => (double)x).ToArray(), t.ToArray<float>().Select(x => (double)x).ToArray(), 1e-6);
    }

    /// <summary>Asserts dtype, shape and float64 values (to a relative tolerance of 1e-12).</summary>
    public static void F64(Tensor t, int[] shape, params double[] expected)
    {
        Assert.Equal(DType.Float64, t.DType);
        Assert.Equal(shape, t.Shape);
        Close(expected, t.ToArray<double>(), 1e-12);
    }

    /// <summary>Asserts dtype int32, shape and exact values.</summary>
    public static void I32(Tensor t, int[] shape, params int[] expected)
    {
        Assert.Equal(DType.Int32, t.DType);
        Assert.Equal(shape, t.Shape);
        Assert.Equal(expected, t.ToArray<int>());
    }

    /// <summary>Asserts dtype bool, shape and exact values.</summary>
    public static void Bool(Tensor t, int[] shape, params bool[] expected)
    {
        Assert.Equal(DType.Bool, t.DType);
        Assert.Equal(shape, t.Shape);
        Assert.Equal(expected, t.ToArray<bool>());
    }

    private static void Close(double[] expected, double[] actual, double rtol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var (e, a) = (expected[i], actual[i]);
            if (double.IsNaN(e)) Assert.True(double.IsNaN(a), $"element {i}: expected NaN, got {a}");
            else if (double.IsInfinity(e)) Assert.Equal(e, a);
            else Assert.True(Math.Abs(e - a) <= rtol * Math.Max(1.0, Math.Abs(e)), $"element {i}: expected {e}, got {a}");
        }
    }

    public static readonly int[] Scalar = [];
}
