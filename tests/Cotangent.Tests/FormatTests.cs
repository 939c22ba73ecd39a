// FormatTests: Tensor.ToString against the text JAX prints for the same arrays (expected strings
// produced by numpy's array2string inside JAX's Array repr).
using Cotangent;
using Cotangent.Core;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using Xunit;
using Value = Cotangent.Core.Tracing.Value;

namespace Cotangent.Tests;

public class FormatTests
{
    private static string F32(float[] data, params int[] shape) => Jnp.Array(data, shape).ToString();

    [Fact]
    public void Vector() => Assert.Equal("Array([1., 2.], dtype=float32)", F32([1, 2], 2));

    [Fact]
    public void StrongScalar() => Assert.Equal("Array(1., dtype=float32)", F32([1]));

    [Fact]
    public void WeakScalarsSayWeakType()
    {
        Assert.Equal("Array(1., dtype=float32, weak_type=True)", ((Tensor)1f).ToString());
        Assert.Equal("Array(2, dtype=int32, weak_type=True)", ((Tensor)2).ToString());
        Assert.Equal("Array(0.1, dtype=float32, weak_type=True)", ((Tensor)0.1).ToString());
    }

    [Fact]
    public void Ints() => Assert.Equal("Array([1, 2, 3], dtype=int32)", Jnp.Array(new[] { 1, 2, 3 }).ToString());

    [Fact]
    public void IntsAlignRight()
    {
        Assert.Equal("Array([-1, 10], dtype=int32)", Jnp.Array(new[] { -1, 10 }).ToString());
        Assert.Equal("Array(-3, dtype=int32)", Jnp.Array(new[] { -3 }, []).ToString());
    }

    [Fact]
    public void Bools()
    {
        Assert.Equal("Array([ True, False], dtype=bool)", Jnp.Array(new[] { true, false }).ToString());
        Assert.Equal("Array([[ True,  True],\n       [False,  True]], dtype=bool)", Jnp.Array(new[] { true, true, false, true }, [2, 2]).ToString());
        Assert.Equal("Array(True, dtype=bool)", ((Tensor)true).ToString());
    }

    [Fact]
    public void Matrix() => Assert.Equal("Array([[1., 2.],\n       [3., 4.]], dtype=float32)", F32([1, 2, 3, 4], 2, 2));

    [Fact]
    public void ThreeDimensionsSeparateBlocksByABlankLine() =>
        Assert.Equal(
            "Array([[[ 0.,  1.,  2.,  3.],\n        [ 4.,  5.,  6.,  7.],\n        [ 8.,  9., 10., 11.]],\n\n"
            + "       [[12., 13., 14., 15.],\n        [16., 17., 18., 19.],\n        [20., 21., 22., 23.]]], dtype=float32)",
            F32(Enumerable.Range(0, 24).Select(i => (float)i).ToArray(), 2, 3, 4));

    [Fact]
    public void FractionsArePaddedSoColumnsAlign()
    {
        Assert.Equal("Array([1. , 2.5], dtype=float32)", F32([1, 2.5f], 2));
        Assert.Equal("Array([ -1.5 ,   2.  , 100.25], dtype=float32)", F32([-1.5f, 2, 100.25f], 3));
    }

    [Fact]
    public void ShortestDigitsOfTheDtype()
    {
        Assert.Equal("Array([0.33333334], dtype=float32)", F32([1f / 3], 1));
        Assert.Equal("Array([0.33333333], dtype=float64)", Jnp.Array(new[] { 1.0 / 3 }).ToString());
        Assert.Equal("Array([0.00123457], dtype=float32)", F32([0.0012345678f], 1));
    }

    [Fact]
    public void ScientificNotationWhenNumpyUsesIt()
    {
        Assert.Equal("Array([1.e-05], dtype=float32)", F32([1e-5f], 1));
        Assert.Equal("Array([1.0e-05, 1.5e+00], dtype=float32)", F32([1e-5f, 1.5f], 2));
        Assert.Equal("Array([1.e-04], dtype=float32)", F32([0.0001f], 1)); // float32(1e-4) < 1e-4
        Assert.Equal("Array([1.e+08], dtype=float32)", F32([1e8f], 1));
        Assert.Equal("Array([1.2345678e+07, 5.0000000e-01], dtype=float32)", F32([12345678f, 0.5f], 2));
        Assert.Equal("Array([1.e+100, 1.e-100], dtype=float64)", Jnp.Array(new[] { 1e100, 1e-100 }).ToString());
    }

    [Fact]
    public void ScientificPadsWithMoreExactDigits() =>
        Assert.Equal("Array([1.000000e-05, 7.824212e-01], dtype=float32)", F32([1e-5f, 0.7824212f], 2));

    [Fact]
    public void NanAndInf()
    {
        Assert.Equal("Array([nan,  1.], dtype=float32)", F32([float.NaN, 1], 2));
        Assert.Equal("Array([ inf, -inf,  nan], dtype=float32)", F32([float.PositiveInfinity, float.NegativeInfinity, float.NaN], 3));
        Assert.Equal("Array(inf, dtype=float32)", F32([float.PositiveInfinity]));
        Assert.Equal("Array([-0.], dtype=float32)", F32([-0f], 1));
    }

    [Fact]
    public void LongRowsWrapAt75Columns() =>
        Assert.Equal(
            "Array([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12.,\n       13., 14., 15., 16., 17., 18., 19.], dtype=float32)",
            F32(Enumerable.Range(0, 20).Select(i => (float)i).ToArray(), 20));

    [Fact]
    public void WrappedFractions() =>
        Assert.Equal(
            "Array([1.12345679, 2.        , 3.        , 4.        , 5.        ,\n       6.        , 7.        , 8.        ], dtype=float64)",
            Jnp.Array(new[] { 1.123456789, 2, 3, 4, 5, 6, 7, 8 }).ToString());

    [Fact]
    public void DtypeAfterALongLastLineGetsJaxsWideGap() =>
        Assert.Equal(
            "Array([0.   , 0.125, 0.25 , 0.375, 0.5  , 0.625, 0.75 , 0.875, 1.   ],      dtype=float32)",
            F32([0, 0.125f, 0.25f, 0.375f, 0.5f, 0.625f, 0.75f, 0.875f, 1], 9));

    [Fact]
    public void MoreThanAThousandElementsAreSummarized()
    {
        Assert.Equal(
            "Array([0.000e+00, 1.000e+00, 2.000e+00, ..., 1.997e+03, 1.998e+03,\n       1.999e+03], dtype=float32)",
            F32(Enumerable.Range(0, 2000).Select(i => (float)i).ToArray(), 2000));
        Assert.Equal(
            "Array([[   0,    1,    2, ...,   47,   48,   49],\n       [  50,   51,   52, ...,   97,   98,   99],\n"
            + "       [ 100,  101,  102, ...,  147,  148,  149],\n       ...,\n       [1850, 1851, 1852, ..., 1897, 1898, 1899],\n"
            + "       [1900, 1901, 1902, ..., 1947, 1948, 1949],\n       [1950, 1951, 1952, ..., 1997, 1998, 1999]], dtype=int32)",
            Jnp.Array(Enumerable.Range(0, 2000).ToArray(), [40, 50]).ToString());
    }

    [Fact]
    public void ExactlyAThousandElementsAreNotSummarized() =>
        Assert.DoesNotContain("...", Jnp.Array(new int[1000]).ToString());

    [Fact]
    public void EmptyArraysShowTheirShape()
    {
        Assert.Equal("Array([], shape=(2, 0), dtype=float32)", F32([], 2, 0));
        Assert.Equal("Array([], shape=(0,), dtype=int32)", Jnp.Array(System.Array.Empty<int>()).ToString());
    }

    [Fact]
    public void UnsignedAndFloat64Scalars()
    {
        Assert.Equal("Array([4294967295,          0], dtype=uint32)", ArrayRepr.Repr([2], DType.UInt32, false, i => i == 0 ? 4294967295.0 : 0));
        Assert.Equal("Array(2.5, dtype=float64, weak_type=True)", ArrayRepr.Repr([], DType.Float64, true, _ => 2.5));
    }

    [Fact]
    public void ComputedResultsPrintTheirValues() =>
        Assert.Equal("Array([2., 4.], dtype=float32)", (Jnp.Array(new[] { 1f, 2f }) * 2).ToString());

    [Fact]
    public void TracedTensorsPrintTheirAbstractValue()
    {
        var seen = new List<string>();
        FSharpList<Value> Body(FSharpList<Value> args)
        {
            seen.AddRange(args.Select(v => Tensor.Of(v).ToString()));
            return args;
        }
        var avals = ListModule.OfSeq(new[]
        {
            new Aval([3], Core.DType.F32, false),
            new Aval([2, 3], Core.DType.I32, false),
            new Aval([], Core.DType.F32, true),
        });
        Cotangent.Core.Tracing.traceToJaxpr(FuncConvert.FromFunc<FSharpList<Value>, FSharpList<Value>>(Body), avals);
        Assert.Equal(
            ["Traced<ShapedArray(float32[3])>", "Traced<ShapedArray(int32[2,3])>", "Traced<ShapedArray(float32[], weak_type=True)>"],
            seen);
    }
}
