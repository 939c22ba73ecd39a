// Lax: the structural primitives (dtype conversion, broadcasting, reshaping, reductions,
// contraction, slicing, padding, iota), each a one-line forwarder into Cotangent.Core.LaxOps.
// Axes and dimensions here are non-negative, as jax.lax requires.
using Cotangent.Core;
using Microsoft.FSharp.Core;
using L = Cotangent.Core.LaxOps;

namespace Cotangent;

public static partial class Lax
{
    /// <summary>Elementwise choice, <c>pred ? onTrue : onFalse</c>: the <c>select_n</c> primitive
    /// with cases <c>(onFalse, onTrue)</c> (<c>lax.select</c>).</summary>
    /// <param name="pred">A bool tensor of the cases' shape, or a bool scalar.</param>
    /// <param name="onTrue">Values where <paramref name="pred"/> is true.</param>
    /// <param name="onFalse">Values where <paramref name="pred"/> is false, of <paramref name="onTrue"/>'s shape and dtype.</param>
    /// <returns>A tensor of the cases' shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="pred"/> is not bool, or the shapes or dtypes disagree.</exception>
    public static Tensor Select(Tensor pred, Tensor onTrue, Tensor onFalse) => new(L.select(pred.Value, onTrue.Value, onFalse.Value));

    /// <summary>Elementwise n-way choice, <c>result[i] = cases[which[i]][i]</c>: the <c>select_n</c>
    /// primitive (<c>lax.select_n</c>).</summary>
    /// <param name="which">A bool (two cases) or int32 tensor of the cases' shape, or a scalar.</param>
    /// <param name="cases">One or more tensors of one shape and dtype.</param>
    /// <returns>A tensor of the cases' shape and dtype.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="cases"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="cases"/> is empty, or the shapes or dtypes disagree.</exception>
    public static Tensor SelectN(Tensor which, params Tensor[] cases) => new(L.selectN(which.Value, Interop.Values(cases, nameof(cases))));

    /// <summary>Casts each element to <paramref name="newDtype"/>, as numpy's <c>astype</c>: the
    /// <c>convert_element_type</c> primitive (<c>lax.convert_element_type</c>). The result is strongly typed.</summary>
    /// <param name="x">Operand.</param>
    /// <param name="newDtype">The target element type.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype <paramref name="newDtype"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="newDtype"/> is not a defined <see cref="DType"/>.</exception>
    public static Tensor ConvertElementType(Tensor x, DType newDtype) => new(L.convertElementType(Interop.Dtype(newDtype, nameof(newDtype)), false, x.Value));

    /// <summary>Broadcasts <paramref name="x"/> to <paramref name="shape"/>: operand axis <c>k</c> becomes
    /// result axis <c>broadcastDimensions[k]</c> (of equal size, or size 1), and every other result axis
    /// repeats it: the <c>broadcast_in_dim</c> primitive (<c>lax.broadcast_in_dim</c>).</summary>
    /// <param name="x">Operand.</param>
    /// <param name="shape">The result's dimensions.</param>
    /// <param name="broadcastDimensions">For each operand axis, the result axis it maps to (strictly increasing).</param>
    /// <returns>A tensor of <paramref name="shape"/> and <paramref name="x"/>'s dtype.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="shape"/> or <paramref name="broadcastDimensions"/> is null.</exception>
    /// <exception cref="ArgumentException">The dimensions do not map <paramref name="x"/>'s axes into <paramref name="shape"/>.</exception>
    public static Tensor BroadcastInDim(Tensor x, int[] shape, int[] broadcastDimensions) =>
        new(L.broadcastInDim(Interop.Ints(shape, nameof(shape)), Interop.Ints(broadcastDimensions, nameof(broadcastDimensions)), x.Value));

    /// <summary>The same elements in row-major order under <paramref name="newSizes"/>: the
    /// <c>reshape</c> primitive (<c>lax.reshape</c>; no <c>-1</c>, unlike <c>Jnp.Reshape</c>).</summary>
    /// <param name="x">Operand.</param>
    /// <param name="newSizes">The new dimensions; their product must equal <paramref name="x"/>'s size.</param>
    /// <returns>A tensor of <paramref name="newSizes"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="newSizes"/> is null.</exception>
    /// <exception cref="ArgumentException">The sizes differ, or a dimension is negative.</exception>
    public static Tensor Reshape(Tensor x, int[] newSizes) => new(L.reshape(Interop.Ints(newSizes, nameof(newSizes)), x.Value));

    /// <summary>Removes the size-1 axes <paramref name="dimensions"/>: the <c>squeeze</c> primitive (<c>lax.squeeze</c>).</summary>
    /// <param name="x">Operand.</param>
    /// <param name="dimensions">Axes of size 1 to remove.</param>
    /// <returns>A tensor of rank <c>x.Rank - dimensions.Length</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dimensions"/> is null.</exception>
    /// <exception cref="ArgumentException">An axis is out of range or not of size 1.</exception>
    public static Tensor Squeeze(Tensor x, int[] dimensions) => new(L.squeeze(Interop.Ints(dimensions, nameof(dimensions)), x.Value));

    /// <summary>Inserts size-1 axes at <paramref name="dimensions"/> of the result: the <c>expand_dims</c> primitive.</summary>
    /// <param name="x">Operand.</param>
    /// <param name="dimensions">Positions of the new axes in the result.</param>
    /// <returns>A tensor of rank <c>x.Rank + dimensions.Length</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dimensions"/> is null.</exception>
    /// <exception cref="ArgumentException">An axis is out of range or repeated.</exception>
    public static Tensor ExpandDims(Tensor x, int[] dimensions) => new(L.expandDims(Interop.Ints(dimensions, nameof(dimensions)), x.Value));

    /// <summary>Permutes the axes, result axis <c>k</c> being operand axis <c>permutation[k]</c>: the
    /// <c>transpose</c> primitive (<c>lax.transpose</c>).</summary>
    /// <param name="x">Operand.</param>
    /// <param name="permutation">A permutation of <c>0 … rank-1</c>.</param>
    /// <returns>A tensor of the permuted shape.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="permutation"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="permutation"/> is not a permutation of the axes.</exception>
    public static Tensor Transpose(Tensor x, int[] permutation) => new(L.transpose(Interop.Ints(permutation, nameof(permutation)), x.Value));

    /// <summary>Sum over <paramref name="axes"/>, <c>Σ x</c>: the <c>reduce_sum</c> primitive (<c>lax.reduce_sum</c>).</summary>
    /// <param name="x">Operand of a numeric dtype.</param>
    /// <param name="axes">Distinct axes to reduce.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape without <paramref name="axes"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="axes"/> is null.</exception>
    /// <exception cref="ArgumentException">An axis is out of range, or <paramref name="x"/> is bool.</exception>
    public static Tensor ReduceSum(Tensor x, int[] axes) => new(L.reduceSum(Interop.Ints(axes, nameof(axes)), x.Value));

    /// <summary>Product over <paramref name="axes"/>, <c>Π x</c>: the <c>reduce_prod</c> primitive (<c>lax.reduce_prod</c>).</summary>
    /// <param name="x">Operand of a numeric dtype.</param>
    /// <param name="axes">Distinct axes to reduce.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape without <paramref name="axes"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="axes"/> is null.</exception>
    /// <exception cref="ArgumentException">An axis is out of range, or <paramref name="x"/> is bool.</exception>
    public static Tensor ReduceProd(Tensor x, int[] axes) => new(L.reduceProd(Interop.Ints(axes, nameof(axes)), x.Value));

    /// <summary>Maximum over <paramref name="axes"/>, <c>max x</c>: the <c>reduce_max</c> primitive (<c>lax.reduce_max</c>).</summary>
    /// <param name="x">Operand.</param>
    /// <param name="axes">Distinct axes to reduce.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape without <paramref name="axes"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="axes"/> is null.</exception>
    /// <exception cref="ArgumentException">An axis is out of range.</exception>
    public static Tensor ReduceMax(Tensor x, int[] axes) => new(L.reduceMax(Interop.Ints(axes, nameof(axes)), x.Value));

    /// <summary>Minimum over <paramref name="axes"/>, <c>min x</c>: the <c>reduce_min</c> primitive (<c>lax.reduce_min</c>).</summary>
    /// <param name="x">Operand.</param>
    /// <param name="axes">Distinct axes to reduce.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape without <paramref name="axes"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="axes"/> is null.</exception>
    /// <exception cref="ArgumentException">An axis is out of range.</exception>
    public static Tensor ReduceMin(Tensor x, int[] axes) => new(L.reduceMin(Interop.Ints(axes, nameof(axes)), x.Value));

    /// <summary>Index of the maximum along <paramref name="axis"/> (the first on ties): the <c>argmax</c>
    /// primitive (<c>lax.argmax</c>).</summary>
    /// <param name="x">Operand.</param>
    /// <param name="axis">The axis to search (non-empty).</param>
    /// <param name="indexDtype">The integer dtype of the indices.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape without <paramref name="axis"/>, of <paramref name="indexDtype"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is out of range or empty, or <paramref name="indexDtype"/> is not an integer dtype.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="indexDtype"/> is not a defined <see cref="DType"/>.</exception>
    public static Tensor Argmax(Tensor x, int axis, DType indexDtype) => new(L.argmax(axis, Interop.Dtype(indexDtype, nameof(indexDtype)), x.Value));

    /// <summary>Index of the minimum along <paramref name="axis"/> (the first on ties): the <c>argmin</c>
    /// primitive (<c>lax.argmin</c>).</summary>
    /// <param name="x">Operand.</param>
    /// <param name="axis">The axis to search (non-empty).</param>
    /// <param name="indexDtype">The integer dtype of the indices.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape without <paramref name="axis"/>, of <paramref name="indexDtype"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is out of range or empty, or <paramref name="indexDtype"/> is not an integer dtype.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="indexDtype"/> is not a defined <see cref="DType"/>.</exception>
    public static Tensor Argmin(Tensor x, int axis, DType indexDtype) => new(L.argmin(axis, Interop.Dtype(indexDtype, nameof(indexDtype)), x.Value));

    /// <summary>Cumulative sum along axis 0, <c>y[i, …] = Σ_{j ≤ i} x[j, …]</c>: the <c>cumsum</c> primitive (<c>lax.cumsum</c>).</summary>
    /// <param name="x">Operand of a numeric dtype, at least 1-D.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/> is a scalar or bool.</exception>
    public static Tensor Cumsum(Tensor x) => new(L.cumsum(0, false, x.Value));

    /// <summary>Cumulative sum along <paramref name="axis"/>, <c>y[…, i, …] = Σ_{j ≤ i} x[…, j, …]</c>:
    /// the <c>cumsum</c> primitive (<c>lax.cumsum</c>).</summary>
    /// <param name="x">Operand of a numeric dtype.</param>
    /// <param name="axis">The axis to accumulate along.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is out of range, or <paramref name="x"/> is bool.</exception>
    public static Tensor Cumsum(Tensor x, int axis) => new(L.cumsum(axis, false, x.Value));

    /// <summary>Cumulative sum along <paramref name="axis"/>, from the end when <paramref name="reverse"/>
    /// (<c>y[…, i, …] = Σ_{j ≥ i} x[…, j, …]</c>): the <c>cumsum</c> primitive (<c>lax.cumsum</c>).</summary>
    /// <param name="x">Operand of a numeric dtype.</param>
    /// <param name="axis">The axis to accumulate along.</param>
    /// <param name="reverse">Accumulate from the last element backwards.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is out of range, or <paramref name="x"/> is bool.</exception>
    public static Tensor Cumsum(Tensor x, int axis, bool reverse) => new(L.cumsum(axis, reverse, x.Value));

    /// <summary>General tensor contraction: <c>z[b…, i…, j…] = Σ_c x[b…, i…, c…] · y[b…, c…, j…]</c> over the
    /// contracting axes, with batch axes paired elementwise: the <c>dot_general</c> primitive (<c>lax.dot_general</c>).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <param name="lhsContract">Contracting axes of <paramref name="x"/>.</param>
    /// <param name="rhsContract">The matching contracting axes of <paramref name="y"/>.</param>
    /// <param name="lhsBatch">Batch axes of <paramref name="x"/>.</param>
    /// <param name="rhsBatch">The matching batch axes of <paramref name="y"/>.</param>
    /// <returns>A tensor of shape <c>batch ++ x's free axes ++ y's free axes</c>.</returns>
    /// <exception cref="ArgumentNullException">An axis array is null.</exception>
    /// <exception cref="ArgumentException">The axis lists differ in length, an axis is out of range, or paired sizes or the dtypes differ.</exception>
    public static Tensor DotGeneral(Tensor x, Tensor y, int[] lhsContract, int[] rhsContract, int[] lhsBatch, int[] rhsBatch) =>
        new(L.dotGeneral(Interop.DotDims(lhsContract, rhsContract, lhsBatch, rhsBatch), FSharpOption<Core.DType>.None, x.Value, y.Value));

    /// <summary>General tensor contraction (see <see cref="DotGeneral(Tensor, Tensor, int[], int[], int[], int[])"/>)
    /// accumulating and returning <paramref name="preferredElementType"/> (<c>lax.dot_general</c>'s <c>preferred_element_type</c>).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <param name="lhsContract">Contracting axes of <paramref name="x"/>.</param>
    /// <param name="rhsContract">The matching contracting axes of <paramref name="y"/>.</param>
    /// <param name="lhsBatch">Batch axes of <paramref name="x"/>.</param>
    /// <param name="rhsBatch">The matching batch axes of <paramref name="y"/>.</param>
    /// <param name="preferredElementType">The result dtype.</param>
    /// <returns>A tensor of shape <c>batch ++ x's free axes ++ y's free axes</c> and <paramref name="preferredElementType"/>.</returns>
    /// <exception cref="ArgumentNullException">An axis array is null.</exception>
    /// <exception cref="ArgumentException">The axis lists differ in length, an axis is out of range, or paired sizes or the dtypes differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="preferredElementType"/> is not a defined <see cref="DType"/>.</exception>
    public static Tensor DotGeneral(Tensor x, Tensor y, int[] lhsContract, int[] rhsContract, int[] lhsBatch, int[] rhsBatch, DType preferredElementType) =>
        new(L.dotGeneral(Interop.DotDims(lhsContract, rhsContract, lhsBatch, rhsBatch), Interop.Some(Interop.Dtype(preferredElementType, nameof(preferredElementType))), x.Value, y.Value));

    /// <summary>The box <c>x[start₀:limit₀, …]</c>: the <c>slice</c> primitive (<c>lax.slice</c>).</summary>
    /// <param name="x">Operand.</param>
    /// <param name="startIndices">First index per axis (inclusive).</param>
    /// <param name="limitIndices">End index per axis (exclusive).</param>
    /// <returns>A tensor of shape <c>limit - start</c>.</returns>
    /// <exception cref="ArgumentNullException">An index array is null.</exception>
    /// <exception cref="ArgumentException">The arrays' lengths differ from the rank, or a bound is out of range.</exception>
    public static Tensor Slice(Tensor x, int[] startIndices, int[] limitIndices) =>
        new(L.slice(Interop.Ints(startIndices, nameof(startIndices)), Interop.Ints(limitIndices, nameof(limitIndices)), FSharpOption<Microsoft.FSharp.Collections.FSharpList<int>>.None, x.Value));

    /// <summary>The strided box <c>x[start₀:limit₀:stride₀, …]</c>: the <c>slice</c> primitive (<c>lax.slice</c>).</summary>
    /// <param name="x">Operand.</param>
    /// <param name="startIndices">First index per axis (inclusive).</param>
    /// <param name="limitIndices">End index per axis (exclusive).</param>
    /// <param name="strides">Step per axis (at least 1).</param>
    /// <returns>A tensor of shape <c>ceil((limit - start) / stride)</c>.</returns>
    /// <exception cref="ArgumentNullException">An index array is null.</exception>
    /// <exception cref="ArgumentException">The arrays' lengths differ from the rank, a bound is out of range, or a stride is below 1.</exception>
    public static Tensor Slice(Tensor x, int[] startIndices, int[] limitIndices, int[] strides) =>
        new(L.slice(Interop.Ints(startIndices, nameof(startIndices)), Interop.Ints(limitIndices, nameof(limitIndices)), Interop.Some(Interop.Ints(strides, nameof(strides))), x.Value));

    /// <summary>The box of <paramref name="sliceSizes"/> starting at run-time indices: the
    /// <c>dynamic_slice</c> primitive (<c>lax.dynamic_slice</c>); starts are clamped so the box fits.</summary>
    /// <param name="x">Operand.</param>
    /// <param name="startIndices">One integer scalar per axis.</param>
    /// <param name="sliceSizes">The box's size per axis.</param>
    /// <returns>A tensor of <paramref name="sliceSizes"/>.</returns>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    /// <exception cref="ArgumentException">The counts differ from the rank, an index is not an integer scalar, or a size exceeds its axis.</exception>
    public static Tensor DynamicSlice(Tensor x, Tensor[] startIndices, int[] sliceSizes) =>
        new(L.dynamicSlice(Interop.Ints(sliceSizes, nameof(sliceSizes)), x.Value, Interop.Values(startIndices, nameof(startIndices))));

    /// <summary><paramref name="x"/> with the box at run-time indices replaced by <paramref name="update"/>:
    /// the <c>dynamic_update_slice</c> primitive (<c>lax.dynamic_update_slice</c>); starts are clamped so the box fits.</summary>
    /// <param name="x">Operand.</param>
    /// <param name="update">The new values, of <paramref name="x"/>'s rank and dtype.</param>
    /// <param name="startIndices">One integer scalar per axis.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="startIndices"/> is null.</exception>
    /// <exception cref="ArgumentException">Ranks or dtypes differ, an index is not an integer scalar, or <paramref name="update"/> is larger than <paramref name="x"/>.</exception>
    public static Tensor DynamicUpdateSlice(Tensor x, Tensor update, Tensor[] startIndices) =>
        new(L.dynamicUpdateSlice(x.Value, update.Value, Interop.Values(startIndices, nameof(startIndices))));

    /// <summary>Joins operands end to end along <paramref name="dimension"/>: the <c>concatenate</c>
    /// primitive (<c>lax.concatenate</c>; no promotion).</summary>
    /// <param name="operands">Tensors of one dtype and rank whose shapes agree off <paramref name="dimension"/>.</param>
    /// <param name="dimension">The axis to join along.</param>
    /// <returns>A tensor whose <paramref name="dimension"/> is the sum of the operands' sizes along it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="operands"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="operands"/> is empty, or the dtypes or shapes disagree.</exception>
    public static Tensor Concatenate(Tensor[] operands, int dimension) => new(L.concatenate(dimension, Interop.Values(operands, nameof(operands))));

    /// <summary>Pads each axis with <c>lo</c> elements before, <c>hi</c> after and <c>interior</c>
    /// between elements, all equal to <paramref name="padValue"/>; negative <c>lo</c>/<c>hi</c> crop: the
    /// <c>pad</c> primitive (<c>lax.pad</c>). Axis size <c>n</c> becomes <c>lo + n + (n - 1) · interior + hi</c>.</summary>
    /// <param name="x">Operand.</param>
    /// <param name="padValue">A scalar of <paramref name="x"/>'s dtype.</param>
    /// <param name="config">One <c>(lo, hi, interior)</c> per axis.</param>
    /// <returns>The padded tensor, of <paramref name="x"/>'s dtype.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is null.</exception>
    /// <exception cref="ArgumentException">The config's length differs from the rank, an interior is negative, a size would be negative, or <paramref name="padValue"/> is not a scalar of <paramref name="x"/>'s dtype.</exception>
    public static Tensor Pad(Tensor x, Tensor padValue, (int Lo, int Hi, int Interior)[] config) =>
        new(L.pad(Interop.PadConfig(config), x.Value, padValue.Value));

    /// <summary>Reverses the order of elements along <paramref name="dimensions"/>: the <c>rev</c> primitive (<c>lax.rev</c>).</summary>
    /// <param name="x">Operand.</param>
    /// <param name="dimensions">Distinct axes to reverse.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dimensions"/> is null.</exception>
    /// <exception cref="ArgumentException">An axis is out of range.</exception>
    public static Tensor Rev(Tensor x, int[] dimensions) => new(L.rev(Interop.Ints(dimensions, nameof(dimensions)), x.Value));

    /// <summary>The vector <c>[0, 1, …, size - 1]</c>: the <c>iota</c> primitive (<c>lax.iota</c>).</summary>
    /// <param name="dtype">The element type.</param>
    /// <param name="size">The number of elements.</param>
    /// <returns>A tensor of shape <c>[size]</c> and <paramref name="dtype"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="size"/> is negative.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined <see cref="DType"/>.</exception>
    public static Tensor Iota(DType dtype, int size) => new(L.iota(Interop.Dtype(dtype, nameof(dtype)), Interop.Ints([Interop.Dim(size, nameof(size))], nameof(size)), 0));

    /// <summary>A tensor of <paramref name="shape"/> whose elements are their index along
    /// <paramref name="dimension"/>, <c>y[i₀, …] = i_dimension</c>: the <c>iota</c> primitive (<c>lax.broadcasted_iota</c>).</summary>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The dimensions.</param>
    /// <param name="dimension">The axis whose index each element holds.</param>
    /// <returns>A tensor of <paramref name="shape"/> and <paramref name="dtype"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="dimension"/> is out of range or a dimension is negative.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined <see cref="DType"/>.</exception>
    public static Tensor BroadcastedIota(DType dtype, int[] shape, int dimension) =>
        new(L.iota(Interop.Dtype(dtype, nameof(dtype)), Interop.Dims(shape, "Lax.BroadcastedIota"), dimension));
}
