// JnpTests: eager results of Jnp against hand-computed values (numpy/JAX semantics):
// broadcasting, JAX's weak-type promotion, reductions with negative axes and keepdims,
// contraction shapes, shape functions and constructors.
using Cotangent;
using Xunit;
using static Cotangent.Tests.Check;

namespace Cotangent.Tests;

public class JnpTests
{
    private static readonly Tensor M23 = Jnp.Array(new[] { 0f, 1, 2, 3, 4, 5 }, [2, 3]); // [[0,1,2],[3,4,5]]

    // ---- broadcasting and promotion --------------------------------------------------------

    [Fact]
    public void Rank1PlusRank2Broadcasts()
    {
        var a = Jnp.Array(new[] { 1f, 2, 3 });
        var b = Jnp.Array(new[] { 10f, 20, 30, 40, 50, 60 }, [2, 3]);
        F32(a + b, [2, 3], 11, 22, 33, 41, 52, 63);
        F32(Jnp.Add(b, a), [2, 3], 11, 22, 33, 41, 52, 63);
    }

    [Fact]
    public void ColumnTimesRowBroadcastsSizeOneAxes()
    {
        var col = Jnp.Array(new[] { 1f, 2, 3 }, [3, 1]);
        var row = Jnp.Array(new[] { 1f, 10 }, [1, 2]);
        F32(Jnp.Multiply(col, row), [3, 2], 1, 10, 2, 20, 3, 30);
    }

    [Fact]
    public void IncompatibleShapesThrowNamingThem()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => Jnp.Add(Jnp.Zeros([3]), Jnp.Zeros([4])));
        Assert.Contains("add", e.Message);
        Assert.Contains("f32[3]", e.Message);
        Assert.Contains("f32[4]", e.Message);
    }

    [Fact]
    public void IntArrayTimesCSharpFloatIsFloat32()
    {
        var r = Jnp.Array(new[] { 1, 2 }) * 2.5f;
        F32(r, [2], 2.5f, 5f);
        Assert.True(r.IsWeaklyTyped); // int32 ⊔ weak float = weak float (JAX's lattice)
    }

    [Fact]
    public void Float32TimesCSharpIntStaysStrongFloat32()
    {
        var r = Jnp.Array(new[] { 1.5f, 2f }) * 2;
        F32(r, [2], 3f, 4f);
        Assert.False(r.IsWeaklyTyped);
    }

    [Fact]
    public void Int32PlusCSharpIntStaysInt32()
    {
        var r = Jnp.Array(new[] { 1, 2 }) + 3;
        I32(r, [2], 4, 5);
        Assert.False(r.IsWeaklyTyped);
    }

    [Fact]
    public void IntDividedByIntIsFloat32()
    {
        F32(Jnp.Array(new[] { 1, 3 }) / Jnp.Array(new[] { 2, 2 }), [2], 0.5f, 1.5f);
        F32(Jnp.Divide(Jnp.Array(new[] { 7 }), 2), [1], 3.5f);
    }

    [Fact]
    public void Float64PlusWeakFloatStaysFloat64()
    {
        var r = Jnp.Array(new[] { 1.0, 2.0 }) + 0.5f;
        F64(r, [2], 1.5, 2.5);
        Assert.False(r.IsWeaklyTyped);
    }

    [Fact]
    public void Float32PlusFloat64IsFloat64()
    {
        F64(Jnp.Array(new[] { 1f }) + Jnp.Array(new[] { 0.25 }), [1], 1.25);
    }

    [Fact]
    public void WeakScalarsStayWeak()
    {
        var r = (Tensor)1f + 2;
        Assert.Equal(DType.Float32, r.DType);
        Assert.True(r.IsWeaklyTyped);
        Assert.Equal(3f, r.ToScalar<float>());
    }

    // ---- elementwise -----------------------------------------------------------------------

    [Fact]
    public void TranscendentalFunctions()
    {
        var x = Jnp.Array(new[] { 0f, 1f });
        F32(Jnp.Exp(x), [2], 1f, MathF.E);
        F32(Jnp.Log(Jnp.Array(new[] { 1f, MathF.E })), [2], 0f, 1f);
        F32(Jnp.Log1p(x), [2], 0f, MathF.Log(2f));
        F32(Jnp.Expm1(x), [2], 0f, MathF.E - 1f);
        F32(Jnp.Sin(x), [2], 0f, MathF.Sin(1f));
        F32(Jnp.Cos(x), [2], 1f, MathF.Cos(1f));
        F32(Jnp.Tan(x), [2], 0f, MathF.Tan(1f));
        F32(Jnp.Tanh(x), [2], 0f, MathF.Tanh(1f));
        F32(Jnp.Sigmoid(x), [2], 0.5f, 1f / (1f + MathF.Exp(-1f)));
        F32(Jnp.Sqrt(Jnp.Array(new[] { 4f, 9f })), [2], 2f, 3f);
        F32(Jnp.Rsqrt(Jnp.Array(new[] { 4f, 0.25f })), [2], 0.5f, 2f);
        F32(Jnp.Arctan2(Jnp.Array(new[] { 1f, 1f }), Jnp.Array(new[] { 1f, -1f })), [2], MathF.PI / 4, 3 * MathF.PI / 4);
    }

    [Fact]
    public void IntegerInputsArePromotedToFloat32ByInexactFunctions()
    {
        F32(Jnp.Exp(Jnp.Array(new[] { 0 })), [1], 1f);
        F32(Jnp.Sqrt(Jnp.Array(new[] { 16 })), [1], 4f);
    }

    [Fact]
    public void RoundingFunctions()
    {
        var x = Jnp.Array(new[] { 0.5f, 1.5f, 2.5f, -0.5f, -1.7f });
        F32(Jnp.Round(x), [5], 0f, 2f, 2f, -0f, -2f); // ties to even
        F32(Jnp.Floor(x), [5], 0f, 1f, 2f, -1f, -2f);
        F32(Jnp.Ceil(x), [5], 1f, 2f, 3f, -0f, -1f);
    }

    [Fact]
    public void SignAbsNegativeSquare()
    {
        var x = Jnp.Array(new[] { -2f, 0f, 3f });
        F32(Jnp.Sign(x), [3], -1f, 0f, 1f);
        F32(Jnp.Abs(x), [3], 2f, 0f, 3f);
        F32(Jnp.Negative(x), [3], 2f, -0f, -3f);
        F32(Jnp.Square(x), [3], 4f, 0f, 9f);
        I32(Jnp.Abs(Jnp.Array(new[] { -4, 5 })), [2], 4, 5);
    }

    [Fact]
    public void PowerWithIntExponentKeepsDtype()
    {
        I32(Jnp.Power(Jnp.Array(new[] { 2, 3 }), 2), [2], 4, 9);
        F32(Jnp.Power(Jnp.Array(new[] { 4f, 9f }), 0.5f), [2], 2f, 3f);
        F32(Jnp.Power(Jnp.Array(new[] { 2f }), Jnp.Array(new[] { 3f })), [1], 8f);
    }

    [Fact]
    public void RemainderTakesTheDivisorsSignAndFmodTheDividends()
    {
        I32(Jnp.Remainder(Jnp.Array(new[] { -1, 4, 5, -6 }), 3), [4], 2, 1, 2, 0);
        I32(Jnp.Remainder(Jnp.Array(new[] { 7 }), -3), [1], -2);
        F32(Jnp.Remainder(Jnp.Array(new[] { -1.5f, 3.5f }), 1f), [2], 0.5f, 0.5f);
        I32(Jnp.Fmod(Jnp.Array(new[] { -1, 4 }), 3), [2], -1, 1);
    }

    [Fact]
    public void IntegerRemainderByZeroIsZeroAsInJax()
    {
        I32(Jnp.Remainder(Jnp.Array(new[] { 5, 7 }), Jnp.Array(new[] { 0, 2 })), [2], 0, 1);
    }

    [Fact]
    public void MaximumMinimum()
    {
        var a = Jnp.Array(new[] { 1f, 5f, 3f });
        var b = Jnp.Array(new[] { 4f, 2f, 3f });
        F32(Jnp.Maximum(a, b), [3], 4f, 5f, 3f);
        F32(Jnp.Minimum(a, b), [3], 1f, 2f, 3f);
        F32(Jnp.Maximum(a, 2), [3], 2f, 5f, 3f);
    }

    [Fact]
    public void Comparisons()
    {
        var a = Jnp.Array(new[] { 1f, 2f, 3f });
        Bool(Jnp.Equal(a, 2), [3], false, true, false);
        Bool(Jnp.NotEqual(a, 2), [3], true, false, true);
        Bool(Jnp.Less(a, 2), [3], true, false, false);
        Bool(Jnp.LessEqual(a, 2), [3], true, true, false);
        Bool(Jnp.Greater(a, 2), [3], false, false, true);
        Bool(Jnp.GreaterEqual(a, 2), [3], false, true, true);
    }

    [Fact]
    public void LogicalFunctions()
    {
        var p = Jnp.Array(new[] { true, true, false, false });
        var q = Jnp.Array(new[] { true, false, true, false });
        Bool(Jnp.LogicalAnd(p, q), [4], true, false, false, false);
        Bool(Jnp.LogicalOr(p, q), [4], true, true, true, false);
        Bool(Jnp.LogicalNot(p), [4], false, false, true, true);
    }

    [Fact]
    public void IsFiniteAndStopGradient()
    {
        Bool(Jnp.IsFinite(Jnp.Array(new[] { 1f, float.PositiveInfinity, float.NaN })), [3], true, false, false);
        F32(Jnp.StopGradient(Jnp.Array(new[] { 1f, 2f })), [2], 1f, 2f);
    }

    [Fact]
    public void WhereBroadcastsAndTreatsNonZeroAsTrue()
    {
        var x = Jnp.Array(new[] { 1f, 2f });
        var y = Jnp.Array(new[] { 10f, 20f });
        F32(Jnp.Where(Jnp.Array(new[] { true, false }), x, y), [2], 1f, 20f);
        F32(Jnp.Where(Jnp.Array(new[] { 0, 5 }), x, y), [2], 10f, 2f);
        F32(Jnp.Where(Jnp.Array(new[] { true, false }), x, 0), [2], 1f, 0f);
    }

    // ---- reductions ------------------------------------------------------------------------

    [Fact]
    public void SumOverEverythingAxesAndNegativeAxes()
    {
        F32(Jnp.Sum(M23), Scalar, 15f);
        F32(Jnp.Sum(M23, -1), [2], 3f, 12f);
        F32(Jnp.Sum(M23, 0), [3], 3f, 5f, 7f);
        F32(Jnp.Sum(M23, [-2, -1]), Scalar, 15f);
    }

    [Fact]
    public void KeepDimsKeepsSizeOneAxes()
    {
        F32(Jnp.Sum(M23, 0, keepDims: true), [1, 3], 3f, 5f, 7f);
        F32(Jnp.Sum(M23, -1, keepDims: true), [2, 1], 3f, 12f);
        F32(Jnp.Sum(M23, null, keepDims: true), [1, 1], 15f);
        F32(Jnp.Mean(M23, [1], keepDims: true), [2, 1], 1f, 4f);
    }

    [Fact]
    public void ProdMaxMinMean()
    {
        F32(Jnp.Prod(M23 + 1, 1), [2], 6f, 120f);
        F32(Jnp.Prod(M23 + 1), Scalar, 720f);
        F32(Jnp.Max(M23, -1), [2], 2f, 5f);
        F32(Jnp.Max(M23), Scalar, 5f);
        F32(Jnp.Min(M23, 0), [3], 0f, 1f, 2f);
        F32(Jnp.Min(M23), Scalar, 0f);
        F32(Jnp.Mean(M23), Scalar, 2.5f);
        F32(Jnp.Mean(M23, -1), [2], 1f, 4f);
    }

    [Fact]
    public void MeanOfIntsIsFloat32()
    {
        F32(Jnp.Mean(Jnp.Array(new[] { 1, 2 })), Scalar, 1.5f);
    }

    [Fact]
    public void SumOfBoolsCountsAsInt32()
    {
        I32(Jnp.Sum(Jnp.Array(new[] { true, false, true })), Scalar, 2);
    }

    [Fact]
    public void ArgMaxArgMin()
    {
        I32(Jnp.ArgMax(M23), Scalar, 5);
        I32(Jnp.ArgMax(M23, -1), [2], 2, 2);
        I32(Jnp.ArgMin(Jnp.Array(new[] { 3f, 1f, 2f })), Scalar, 1);
        I32(Jnp.ArgMin(M23, 0), [3], 0, 0, 0);
    }

    [Fact]
    public void CumSumAlongAxisAndFlattened()
    {
        F32(Jnp.CumSum(M23, -1), [2, 3], 0f, 1f, 3f, 3f, 7f, 12f);
        F32(Jnp.CumSum(M23, 0), [2, 3], 0f, 1f, 2f, 3f, 5f, 7f);
        F32(Jnp.CumSum(M23), [6], 0f, 1f, 3f, 6f, 10f, 15f);
    }

    [Fact]
    public void AxisOutOfRangeThrows()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => Jnp.Sum(M23, 2));
        Assert.Contains("axis 2", e.Message);
        Assert.ThrowsAny<ArgumentException>(() => Jnp.Mean(M23, -3));
    }

    // ---- contraction -----------------------------------------------------------------------

    [Fact]
    public void MatmulOfMatrices()
    {
        var a = Jnp.Array(new[] { 1f, 2, 3, 4, 5, 6 }, [2, 3]);
        var b = Jnp.Array(new[] { 1f, 0, 0, 1, 1, 1 }, [3, 2]);
        F32(Jnp.Matmul(a, b), [2, 2], 4f, 5f, 10f, 11f);
        F32(Jnp.Dot(a, b), [2, 2], 4f, 5f, 10f, 11f);
    }

    [Theory]
    [InlineData(new[] { 2, 3 }, new[] { 3, 4 }, new[] { 2, 4 })]
    [InlineData(new[] { 3 }, new[] { 3, 4 }, new[] { 4 })]
    [InlineData(new[] { 2, 3 }, new[] { 3 }, new[] { 2 })]
    [InlineData(new[] { 3 }, new[] { 3 }, new int[0])]
    [InlineData(new[] { 5, 2, 3 }, new[] { 3, 4 }, new[] { 5, 2, 4 })]
    [InlineData(new[] { 5, 2, 3 }, new[] { 5, 3, 4 }, new[] { 5, 2, 4 })]
    [InlineData(new[] { 1, 2, 3 }, new[] { 6, 3, 4 }, new[] { 6, 2, 4 })]
    public void MatmulShapes(int[] x, int[] y, int[] expected)
    {
        Assert.Equal(expected, Jnp.Matmul(Jnp.Ones(x), Jnp.Ones(y)).Shape);
    }

    [Fact]
    public void MatmulBatchesAndSumsProducts()
    {
        var r = Jnp.Matmul(Jnp.Ones([2, 2, 3]), Jnp.Full([3, 1], 2.0));
        F32(r, [2, 2, 1], 6f, 6f, 6f, 6f);
    }

    [Fact]
    public void MatmulRejectsScalarsAndMismatchedInnerDims()
    {
        Assert.ThrowsAny<ArgumentException>(() => Jnp.Matmul(Jnp.Ones([3]), 2f));
        Assert.ThrowsAny<ArgumentException>(() => Jnp.Matmul(Jnp.Ones([2, 3]), Jnp.Ones([4, 2])));
    }

    [Fact]
    public void DotOfVectorsIsTheInnerProduct()
    {
        F32(Jnp.Dot(Jnp.Array(new[] { 1f, 2, 3 }), Jnp.Array(new[] { 4f, 5, 6 })), Scalar, 32f);
        F32(Jnp.Dot(Jnp.Array(new[] { 1f, 2 }), 3f), [2], 3f, 6f);
    }

    // ---- shapes ----------------------------------------------------------------------------

    [Fact]
    public void ReshapeInfersMinusOne()
    {
        var x = Jnp.Arange(6, DType.Float32);
        F32(Jnp.Reshape(x, 2, -1), [2, 3], 0f, 1f, 2f, 3f, 4f, 5f);
        F32(Jnp.Reshape(x, 3, 2), [3, 2], 0f, 1f, 2f, 3f, 4f, 5f);
        Assert.ThrowsAny<ArgumentException>(() => Jnp.Reshape(x, 4, -1));
        Assert.ThrowsAny<ArgumentException>(() => Jnp.Reshape(x, 4, 2));
    }

    [Fact]
    public void TransposeReversesOrPermutesAxes()
    {
        F32(Jnp.Transpose(M23), [3, 2], 0f, 3f, 1f, 4f, 2f, 5f);
        Assert.Equal(new[] { 4, 2, 3 }, Jnp.Transpose(Jnp.Zeros([2, 3, 4]), [2, 0, 1]).Shape);
        Assert.Equal(new[] { 4, 3, 2 }, Jnp.Transpose(Jnp.Zeros([2, 3, 4])).Shape);
        Assert.Equal(new[] { 3, 2, 4 }, Jnp.Transpose(Jnp.Zeros([2, 3, 4]), [-2, 0, -1]).Shape);
    }

    [Fact]
    public void SqueezeAndExpandDims()
    {
        var x = Jnp.Zeros([1, 3, 1]);
        Assert.Equal(new[] { 3 }, Jnp.Squeeze(x).Shape);
        Assert.Equal(new[] { 1, 3 }, Jnp.Squeeze(x, -1).Shape);
        Assert.Equal(new[] { 3 }, Jnp.Squeeze(x, [0, 2]).Shape);
        Assert.ThrowsAny<ArgumentException>(() => Jnp.Squeeze(x, 1));
        var v = Jnp.Array(new[] { 1f, 2, 3 });
        F32(Jnp.ExpandDims(v, 0), [1, 3], 1f, 2f, 3f);
        Assert.Equal(new[] { 3, 1 }, Jnp.ExpandDims(v, -1).Shape);
        Assert.Equal(new[] { 1, 3, 1 }, Jnp.ExpandDims(v, [0, 2]).Shape);
    }

    [Fact]
    public void ConcatenateJoinsAndPromotes()
    {
        F32(Jnp.Concatenate([Jnp.Array(new[] { 1f, 2 }), Jnp.Array(new[] { 3f })]), [3], 1f, 2f, 3f);
        F32(Jnp.Concatenate([Jnp.Array(new[] { 1 }), Jnp.Array(new[] { 2.5f })]), [2], 1f, 2.5f);
        F32(Jnp.Concatenate([M23, Jnp.Array(new[] { 9f, 9 }, [2, 1])], -1), [2, 4], 0f, 1f, 2f, 9f, 3f, 4f, 5f, 9f);
        Assert.ThrowsAny<ArgumentException>(() => Jnp.Concatenate([]));
    }

    // ---- constructors ----------------------------------------------------------------------

    [Fact]
    public void ArrayKeepsTheElementTypeStrongly()
    {
        var f = Jnp.Array(new[] { 1f, 2f });
        Assert.Equal((DType.Float32, false), (f.DType, f.IsWeaklyTyped));
        Assert.Equal(DType.Float64, Jnp.Array(new[] { 1.0 }).DType);
        Assert.Equal(DType.Int32, Jnp.Array(new[] { 1 }).DType);
        Assert.Equal(DType.Bool, Jnp.Array(new[] { true }).DType);
        I32(Jnp.Array(new[] { 1, 2, 3, 4, 5, 6 }, [3, 2]), [3, 2], 1, 2, 3, 4, 5, 6);
        F64(Jnp.Array(new[] { 2.5 }, []), Scalar, 2.5);
        Bool(Jnp.Array(new[] { true, false }, [2, 1]), [2, 1], true, false);
    }

    [Fact]
    public void ArrayCopiesItsData()
    {
        var data = new[] { 1f, 2f };
        var t = Jnp.Array(data);
        data[0] = 99f;
        Assert.Equal(new[] { 1f, 2f }, t.ToArray<float>());
    }

    [Fact]
    public void ArrayRejectsAShapeOfTheWrongSize()
    {
        var e = Assert.Throws<ArgumentException>(() => Jnp.Array(new[] { 1f, 2, 3, 4, 5, 6 }, [4, 2]));
        Assert.Contains("6 elements", e.Message);
        Assert.Contains("(4, 2)", e.Message);
        Assert.Contains("8", e.Message);
        Assert.Equal("shape", e.ParamName);
        Assert.Throws<ArgumentException>(() => Jnp.Array(new[] { 1, 2 }, [-1, -2]));
        Assert.Throws<ArgumentNullException>(() => Jnp.Array((double[])null!));
        Assert.Throws<ArgumentNullException>(() => Jnp.Array(new[] { true }, null!));
    }

    [Fact]
    public void ZerosOnesFull()
    {
        F32(Jnp.Zeros([2, 3]), [2, 3], 0f, 0f, 0f, 0f, 0f, 0f);
        F32(Jnp.Ones([2]), [2], 1f, 1f);
        I32(Jnp.Ones([3], DType.Int32), [3], 1, 1, 1);
        F32(Jnp.Full([2, 2], 2.5), [2, 2], 2.5f, 2.5f, 2.5f, 2.5f);
        F64(Jnp.Full([1], 0.1, DType.Float64), [1], 0.1);
        F32(Jnp.Ones([]), Scalar, 1f);
        Assert.False(Jnp.Ones([2]).IsWeaklyTyped);
        Assert.ThrowsAny<ArgumentException>(() => Jnp.Zeros([-1]));
    }

    [Fact]
    public void EyeIsTheIdentity()
    {
        F32(Jnp.Eye(3), [3, 3], 1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f);
        F32(Jnp.Eye(2, 3), [2, 3], 1f, 0f, 0f, 0f, 1f, 0f);
        I32(Jnp.Eye(2, 2, DType.Int32), [2, 2], 1, 0, 0, 1);
    }

    [Fact]
    public void ArangeCountsFromZero()
    {
        I32(Jnp.Arange(4), [4], 0, 1, 2, 3);
        F32(Jnp.Arange(3, DType.Float32), [3], 0f, 1f, 2f);
        I32(Jnp.Arange(0), [0]);
        Assert.ThrowsAny<ArgumentException>(() => Jnp.Arange(-1));
    }
}
