// Jnp: shape manipulation (reshape, transpose, squeeze, expand_dims, concatenate) and
// contraction (dot, matmul).
using Microsoft.FSharp.Core;
using NA = Cotangent.Core.NumpyArrays;

namespace Cotangent;

public static partial class Jnp
{
    /// <summary>The same elements in row-major order under a new shape (<c>jnp.reshape</c>);
    /// one dimension may be <c>-1</c>, inferred so that the sizes agree. No equation is recorded
    /// when the shape is unchanged.</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="shape">The new dimensions, e.g. <c>Reshape(x, 2, -1)</c>.</param>
    /// <returns>A tensor of <paramref name="shape"/> holding <paramref name="x"/>'s elements.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentException">The sizes differ, or more than one dimension is -1.</exception>
    public static Tensor Reshape(Tensor x, params int[] shape) => new(NA.reshape(Interop.Ints(shape, nameof(shape)), x.Value));

    /// <summary>Reverses the axes, <c>y[i₀, …, iₙ] = x[iₙ, …, i₀]</c> (<c>jnp.transpose</c>
    /// with no axes; the matrix transpose <c>xᵀ</c> for 2-D tensors).</summary>
    /// <param name="x">Input tensor.</param>
    /// <returns>A tensor whose shape is <paramref name="x"/>'s reversed.</returns>
    public static Tensor Transpose(Tensor x) => new(NA.transpose(FSharpOption<Microsoft.FSharp.Collections.FSharpList<int>>.None, x.Value));

    /// <summary>Permutes the axes: result axis <c>k</c> is input axis <c>axes[k]</c> (<c>jnp.transpose</c>).</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="axes">A permutation of the axes (negative count from the end).</param>
    /// <returns>A tensor of shape <c>[x.Shape[axes[0]], …]</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="axes"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="axes"/> is not a permutation of the axes.</exception>
    public static Tensor Transpose(Tensor x, int[] axes) => new(NA.transpose(Interop.Some(Interop.Ints(axes, nameof(axes))), x.Value));

    /// <summary>Removes every axis of size 1 (<c>jnp.squeeze</c>).</summary>
    /// <param name="x">Input tensor.</param>
    /// <returns>A tensor of the same elements without size-1 axes.</returns>
    public static Tensor Squeeze(Tensor x) => new(NA.squeeze(FSharpOption<Microsoft.FSharp.Collections.FSharpList<int>>.None, x.Value));

    /// <summary>Removes <paramref name="axis"/>, which must have size 1 (<c>jnp.squeeze</c>).</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="axis">The axis to remove; negative counts from the end.</param>
    /// <returns>A tensor of rank one less.</returns>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is out of range or its size is not 1.</exception>
    public static Tensor Squeeze(Tensor x, int axis) => new(NA.squeeze(Interop.Axis(axis), x.Value));

    /// <summary>Removes <paramref name="axes"/>, which must have size 1 (<c>jnp.squeeze</c>).</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="axes">The axes to remove; negative count from the end.</param>
    /// <returns>A tensor of rank <c>x.Rank - axes.Length</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="axes"/> is null.</exception>
    /// <exception cref="ArgumentException">An axis is out of range or its size is not 1.</exception>
    public static Tensor Squeeze(Tensor x, int[] axes) => new(NA.squeeze(Interop.Some(Interop.Ints(axes, nameof(axes))), x.Value));

    /// <summary>Inserts an axis of size 1 at position <paramref name="axis"/> of the result
    /// (<c>jnp.expand_dims</c>; staged as <c>broadcast_in_dim</c>).</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="axis">Where the new axis goes, in [-(ndim+1), ndim+1); negative counts from the end.</param>
    /// <returns>A tensor of rank one more, with a 1 at <paramref name="axis"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is out of range.</exception>
    public static Tensor ExpandDims(Tensor x, int axis) => new(NA.expandDims(Interop.Ints([axis], nameof(axis)), x.Value));

    /// <summary>Inserts axes of size 1 at <paramref name="axes"/> of the result (<c>jnp.expand_dims</c>).</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="axes">Positions of the new axes in the result; negative count from the end.</param>
    /// <returns>A tensor of rank <c>x.Rank + axes.Length</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="axes"/> is null.</exception>
    /// <exception cref="ArgumentException">An axis is out of range.</exception>
    public static Tensor ExpandDims(Tensor x, int[] axes) => new(NA.expandDims(Interop.Ints(axes, nameof(axes)), x.Value));

    /// <summary>Joins tensors end to end along the leading axis (<c>jnp.concatenate</c>); dtypes are promoted.</summary>
    /// <param name="xs">Tensors of equal rank (at least 1) whose shapes agree except on axis 0.</param>
    /// <returns>A tensor whose axis 0 is the sum of the inputs' axes 0.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="xs"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="xs"/> is empty, or the shapes disagree off axis 0.</exception>
    public static Tensor Concatenate(Tensor[] xs) => new(NA.concatenate(0, Interop.Values(xs, nameof(xs))));

    /// <summary>Joins tensors end to end along <paramref name="axis"/> (<c>jnp.concatenate</c>); dtypes are promoted.</summary>
    /// <param name="xs">Tensors of equal rank whose shapes agree except on <paramref name="axis"/>.</param>
    /// <param name="axis">The axis to join along; negative counts from the end.</param>
    /// <returns>A tensor whose <paramref name="axis"/> is the sum of the inputs' sizes along it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="xs"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="xs"/> is empty, <paramref name="axis"/> is out of range, or the shapes disagree off it.</exception>
    public static Tensor Concatenate(Tensor[] xs, int axis) => new(NA.concatenate(axis, Interop.Values(xs, nameof(xs))));

    /// <summary>numpy's dot product (<c>jnp.dot</c>): <c>x · y</c> for scalars; otherwise
    /// <c>z[…, j…] = Σₖ x[…, k] · y[…, k, j…]</c>, contracting <paramref name="x"/>'s last axis with
    /// <paramref name="y"/>'s only axis (1-D) or second-to-last axis. Vector · vector is the inner
    /// product, matrix · matrix the matrix product.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns>The contraction, of shape <c>x.Shape[..^1] ++ y.Shape</c> without the contracted axis, in the promoted dtype.</returns>
    /// <exception cref="ArgumentException">The contracted dimensions differ.</exception>
    public static Tensor Dot(Tensor x, Tensor y) => new(NA.dot(x.Value, y.Value));

    /// <summary>Matrix product <c>z[…, i, j] = Σₖ x[…, i, k] · y[…, k, j]</c> (<c>jnp.matmul</c>, the
    /// <c>@</c> operator): 1-D operands act as a row (left) or column (right) vector whose added axis is
    /// removed; leading batch axes broadcast.</summary>
    /// <param name="x">Left operand, at least 1-D.</param>
    /// <param name="y">Right operand, at least 1-D.</param>
    /// <returns>The product, of shape <c>batch ++ [n, m]</c> (without the axes of 1-D operands), in the promoted dtype.</returns>
    /// <exception cref="ArgumentException">An operand is a scalar, the contracted dimensions differ, or the batch axes do not broadcast.</exception>
    public static Tensor Matmul(Tensor x, Tensor y) => new(NA.matmul(x.Value, y.Value));
}
