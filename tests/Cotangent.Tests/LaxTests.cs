// LaxTests: the lax primitives through the facade: no promotion (mismatched dtypes throw),
// structural primitives' shapes and values.
using Cotangent;
using Xunit;
using static Cotangent.Tests.Check;

namespace Cotangent.Tests;

public class LaxTests
{
    private static readonly Tensor V = Jnp.Array(new[] { 1f, 2f, 3f, 4f });

    [Fact]
    public void ElementwiseArithmetic()
    {
        F32(Lax.Add(V, V), [4], 2f, 4f, 6f, 8f);
        F32(Lax.Sub(V, Jnp.Ones([4])), [4], 0f, 1f, 2f, 3f);
        F32(Lax.Mul(V, V), [4], 1f, 4f, 9f, 16f);
        F32(Lax.Div(V, Jnp.Full([4], 2.0)), [4], 0.5f, 1f, 1.5f, 2f);
        I32(Lax.Div(Jnp.Array(new[] { 7, -7 }), Jnp.Array(new[] { 2, 2 })), [2], 3, -3);
        I32(Lax.Rem(Jnp.Array(new[] { 7, -7 }), Jnp.Array(new[] { 3, 3 })), [2], 1, -1);
        F32(Lax.IntegerPow(V, 3), [4], 1f, 8f, 27f, 64f);
        F32(Lax.Neg(V), [4], -1f, -2f, -3f, -4f);
    }

    [Fact]
    public void NoPromotion()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => Lax.Add(V, Jnp.Array(new[] { 1, 2, 3, 4 })));
        Assert.Contains("add", e.Message);
        Assert.ThrowsAny<ArgumentException>(() => Lax.Exp(Jnp.Array(new[] { 1 })));
    }

    [Fact]
    public void RoundingMethods()
    {
        var x = Jnp.Array(new[] { 0.5f, 1.5f, 2.5f, -2.5f });
        F32(Lax.Round(x), [4], 1f, 2f, 3f, -3f);
        F32(Lax.Round(x, RoundingMethod.ToNearestEven), [4], 0f, 2f, 2f, -2f);
    }

    [Fact]
    public void ComparisonsAndSelect()
    {
        var two = Jnp.Full([4], 2.0);
        Bool(Lax.Lt(V, two), [4], true, false, false, false);
        Bool(Lax.Ge(V, two), [4], false, true, true, true);
        F32(Lax.Select(Lax.Gt(V, two), V, two), [4], 2f, 2f, 3f, 4f);
        F32(Lax.SelectN(Jnp.Array(new[] { 1, 0, 2, 1 }), V, Jnp.Zeros([4]), Jnp.Ones([4])), [4], 0f, 2f, 1f, 0f);
    }

    [Fact]
    public void ConvertElementType()
    {
        var r = Lax.ConvertElementType(Jnp.Array(new[] { 1.7f, -1.7f }), DType.Int32);
        I32(r, [2], 1, -1);
        Assert.False(r.IsWeaklyTyped);
        Assert.Throws<ArgumentOutOfRangeException>(() => Lax.ConvertElementType(V, (DType)42));
    }

    [Fact]
    public void BroadcastReshapeTransposeRev()
    {
        F32(Lax.BroadcastInDim(Jnp.Array(new[] { 1f, 2f }), [3, 2], [1]), [3, 2], 1f, 2f, 1f, 2f, 1f, 2f);
        F32(Lax.BroadcastInDim(Jnp.Array(new[] { 1f, 2f }), [2, 3], [0]), [2, 3], 1f, 1f, 1f, 2f, 2f, 2f);
        F32(Lax.Reshape(V, [2, 2]), [2, 2], 1f, 2f, 3f, 4f);
        F32(Lax.Transpose(Lax.Reshape(V, [2, 2]), [1, 0]), [2, 2], 1f, 3f, 2f, 4f);
        F32(Lax.Rev(V, [0]), [4], 4f, 3f, 2f, 1f);
        Assert.Equal(new[] { 1, 4 }, Lax.ExpandDims(V, [0]).Shape);
        Assert.Equal(new[] { 4 }, Lax.Squeeze(Lax.Reshape(V, [1, 4]), [0]).Shape);
        Assert.ThrowsAny<ArgumentException>(() => Lax.Reshape(V, [3]));
    }

    [Fact]
    public void Reductions()
    {
        var m = Lax.Reshape(V, [2, 2]);
        F32(Lax.ReduceSum(m, [0]), [2], 4f, 6f);
        F32(Lax.ReduceProd(m, [1]), [2], 2f, 12f);
        F32(Lax.ReduceMax(m, [0, 1]), [], 4f);
        F32(Lax.ReduceMin(m, [1]), [2], 1f, 3f);
        I32(Lax.Argmax(m, 1, DType.Int32), [2], 1, 1);
        I32(Lax.Argmin(m, 0, DType.Int32), [2], 0, 0);
        F32(Lax.Cumsum(V), [4], 1f, 3f, 6f, 10f);
        F32(Lax.Cumsum(V, 0, reverse: true), [4], 10f, 9f, 7f, 4f);
    }

    [Fact]
    public void DotGeneralContractsAndBatches()
    {
        var a = Jnp.Array(new[] { 1f, 2, 3, 4, 5, 6 }, [2, 3]);
        F32(Lax.DotGeneral(a, a, [1], [1], [], []), [2, 2], 14f, 32f, 32f, 77f); // a · aᵀ
        F32(Lax.DotGeneral(a, a, [1], [1], [0], [0]), [2], 14f, 77f);            // row-wise inner products
        Assert.Equal(DType.Float64, Lax.DotGeneral(a, a, [1], [1], [], [], DType.Float64).DType);
        Assert.ThrowsAny<ArgumentException>(() => Lax.DotGeneral(a, a, [1], [0], [], []));
    }

    [Fact]
    public void SlicingAndPadding()
    {
        F32(Lax.Slice(V, [1], [3]), [2], 2f, 3f);
        F32(Lax.Slice(V, [0], [4], [2]), [2], 1f, 3f);
        F32(Lax.DynamicSlice(V, [2], [2]), [2], 3f, 4f);
        F32(Lax.DynamicUpdateSlice(V, Jnp.Array(new[] { 9f }), [1]), [4], 1f, 9f, 3f, 4f);
        F32(Lax.Concatenate([V, V], 0), [8], 1f, 2f, 3f, 4f, 1f, 2f, 3f, 4f);
        F32(Lax.Pad(Jnp.Array(new[] { 1f, 2f }), 0f, [(1, 2, 1)]), [6], 0f, 1f, 0f, 2f, 0f, 0f);
        Assert.Equal(new[] { 3 }, Lax.Pad(V, 0f, [(-1, 0, 0)]).Shape);
        Assert.ThrowsAny<ArgumentException>(() => Lax.Slice(V, [3], [5]));
    }

    [Fact]
    public void Iotas()
    {
        I32(Lax.Iota(DType.Int32, 3), [3], 0, 1, 2);
        F32(Lax.BroadcastedIota(DType.Float32, [2, 3], 1), [2, 3], 0f, 1f, 2f, 0f, 1f, 2f);
        F32(Lax.BroadcastedIota(DType.Float32, [2, 3], 0), [2, 3], 0f, 0f, 0f, 1f, 1f, 1f);
    }
}
