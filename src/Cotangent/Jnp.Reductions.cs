// Jnp: reductions (sum, prod, max, min, mean with numpy's axis/keepdims), arg-reductions and
// cumulative sums. Axes may be negative, as in numpy.
using Microsoft.FSharp.Core;
using NA = Cotangent.Core.NumpyArrays;

namespace Cotangent;

public static partial class Jnp
{
    /// <summary>Sum of the elements, <c>Σ x</c> (<c>jnp.sum</c>); bools are counted as int32. Reduces over every axis.</summary>
    /// <param name="x">Input tensor.</param>
    /// <returns>A scalar tensor holding the sum.</returns>
    public static Tensor Sum(Tensor x) => new(NA.sum(Interop.AxesOrAll(null), false, x.Value));

    /// <summary>Sum of the elements, <c>Σ x</c> (<c>jnp.sum</c>); bools are counted as int32. Reduces over <paramref name="axis"/>.</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="axis">Axis to reduce; negative counts from the end.</param>
    /// <param name="keepDims">Keep the reduced axis with size 1, so the result broadcasts against <paramref name="x"/>.</param>
    /// <returns>The sum along <paramref name="axis"/>: <paramref name="x"/>'s shape without that axis (or with it set to 1).</returns>
    /// <exception cref="ArgumentException">An axis is not in [-ndim, ndim).</exception>
    public static Tensor Sum(Tensor x, int axis, bool keepDims = false) => new(NA.sum(Interop.Axis(axis), keepDims, x.Value));

    /// <summary>Sum of the elements, <c>Σ x</c> (<c>jnp.sum</c>); bools are counted as int32. Reduces over several axes at once.</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="axes">Axes to reduce (negative count from the end); null reduces every axis.</param>
    /// <param name="keepDims">Keep the reduced axes with size 1, so the result broadcasts against <paramref name="x"/>.</param>
    /// <returns>The sum over <paramref name="axes"/>: <paramref name="x"/>'s shape without them (or with them set to 1).</returns>
    /// <exception cref="ArgumentException">An axis is not in [-ndim, ndim).</exception>
    public static Tensor Sum(Tensor x, int[]? axes, bool keepDims = false) => new(NA.sum(Interop.AxesOrAll(axes), keepDims, x.Value));

    /// <summary>Product of the elements, <c>Π x</c> (<c>jnp.prod</c>); bools are multiplied as int32. Reduces over every axis.</summary>
    /// <param name="x">Input tensor.</param>
    /// <returns>A scalar tensor holding the product.</returns>
    public static Tensor Prod(Tensor x) => new(NA.prod(Interop.AxesOrAll(null), false, x.Value));

    /// <summary>Product of the elements, <c>Π x</c> (<c>jnp.prod</c>); bools are multiplied as int32. Reduces over <paramref name="axis"/>.</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="axis">Axis to reduce; negative counts from the end.</param>
    /// <param name="keepDims">Keep the reduced axis with size 1, so the result broadcasts against <paramref name="x"/>.</param>
    /// <returns>The product along <paramref name="axis"/>: <paramref name="x"/>'s shape without that axis (or with it set to 1).</returns>
    /// <exception cref="ArgumentException">An axis is not in [-ndim, ndim).</exception>
    public static Tensor Prod(Tensor x, int axis, bool keepDims = false) => new(NA.prod(Interop.Axis(axis), keepDims, x.Value));

    /// <summary>Product of the elements, <c>Π x</c> (<c>jnp.prod</c>); bools are multiplied as int32. Reduces over several axes at once.</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="axes">Axes to reduce (negative count from the end); null reduces every axis.</param>
    /// <param name="keepDims">Keep the reduced axes with size 1, so the result broadcasts against <paramref name="x"/>.</param>
    /// <returns>The product over <paramref name="axes"/>: <paramref name="x"/>'s shape without them (or with them set to 1).</returns>
    /// <exception cref="ArgumentException">An axis is not in [-ndim, ndim).</exception>
    public static Tensor Prod(Tensor x, int[]? axes, bool keepDims = false) => new(NA.prod(Interop.AxesOrAll(axes), keepDims, x.Value));

    /// <summary>Largest element, <c>max x</c> (<c>jnp.max</c>; NaN propagates). Reduces over every axis.</summary>
    /// <param name="x">Input tensor.</param>
    /// <returns>A scalar tensor holding the maximum.</returns>
    public static Tensor Max(Tensor x) => new(NA.max(Interop.AxesOrAll(null), false, x.Value));

    /// <summary>Largest element, <c>max x</c> (<c>jnp.max</c>; NaN propagates). Reduces over <paramref name="axis"/>.</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="axis">Axis to reduce; negative counts from the end.</param>
    /// <param name="keepDims">Keep the reduced axis with size 1, so the result broadcasts against <paramref name="x"/>.</param>
    /// <returns>The maximum along <paramref name="axis"/>: <paramref name="x"/>'s shape without that axis (or with it set to 1).</returns>
    /// <exception cref="ArgumentException">An axis is not in [-ndim, ndim).</exception>
    public static Tensor Max(Tensor x, int axis, bool keepDims = false) => new(NA.max(Interop.Axis(axis), keepDims, x.Value));

    /// <summary>Largest element, <c>max x</c> (<c>jnp.max</c>; NaN propagates). Reduces over several axes at once.</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="axes">Axes to reduce (negative count from the end); null reduces every axis.</param>
    /// <param name="keepDims">Keep the reduced axes with size 1, so the result broadcasts against <paramref name="x"/>.</param>
    /// <returns>The maximum over <paramref name="axes"/>: <paramref name="x"/>'s shape without them (or with them set to 1).</returns>
    /// <exception cref="ArgumentException">An axis is not in [-ndim, ndim).</exception>
    public static Tensor Max(Tensor x, int[]? axes, bool keepDims = false) => new(NA.max(Interop.AxesOrAll(axes), keepDims, x.Value));

    /// <summary>Smallest element, <c>min x</c> (<c>jnp.min</c>; NaN propagates). Reduces over every axis.</summary>
    /// <param name="x">Input tensor.</param>
    /// <returns>A scalar tensor holding the minimum.</returns>
    public static Tensor Min(Tensor x) => new(NA.min(Interop.AxesOrAll(null), false, x.Value));

    /// <summary>Smallest element, <c>min x</c> (<c>jnp.min</c>; NaN propagates). Reduces over <paramref name="axis"/>.</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="axis">Axis to reduce; negative counts from the end.</param>
    /// <param name="keepDims">Keep the reduced axis with size 1, so the result broadcasts against <paramref name="x"/>.</param>
    /// <returns>The minimum along <paramref name="axis"/>: <paramref name="x"/>'s shape without that axis (or with it set to 1).</returns>
    /// <exception cref="ArgumentException">An axis is not in [-ndim, ndim).</exception>
    public static Tensor Min(Tensor x, int axis, bool keepDims = false) => new(NA.min(Interop.Axis(axis), keepDims, x.Value));

    /// <summary>Smallest element, <c>min x</c> (<c>jnp.min</c>; NaN propagates). Reduces over several axes at once.</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="axes">Axes to reduce (negative count from the end); null reduces every axis.</param>
    /// <param name="keepDims">Keep the reduced axes with size 1, so the result broadcasts against <paramref name="x"/>.</param>
    /// <returns>The minimum over <paramref name="axes"/>: <paramref name="x"/>'s shape without them (or with them set to 1).</returns>
    /// <exception cref="ArgumentException">An axis is not in [-ndim, ndim).</exception>
    public static Tensor Min(Tensor x, int[]? axes, bool keepDims = false) => new(NA.min(Interop.AxesOrAll(axes), keepDims, x.Value));

    /// <summary>Arithmetic mean, <c>(Σ x) / n</c> over the <c>n</c> reduced elements (<c>jnp.mean</c>); integers and bools are averaged as float32. Reduces over every axis.</summary>
    /// <param name="x">Input tensor.</param>
    /// <returns>A scalar tensor holding the mean.</returns>
    public static Tensor Mean(Tensor x) => new(NA.mean(Interop.AxesOrAll(null), false, x.Value));

    /// <summary>Arithmetic mean, <c>(Σ x) / n</c> over the <c>n</c> reduced elements (<c>jnp.mean</c>); integers and bools are averaged as float32. Reduces over <paramref name="axis"/>.</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="axis">Axis to reduce; negative counts from the end.</param>
    /// <param name="keepDims">Keep the reduced axis with size 1, so the result broadcasts against <paramref name="x"/>.</param>
    /// <returns>The mean along <paramref name="axis"/>: <paramref name="x"/>'s shape without that axis (or with it set to 1).</returns>
    /// <exception cref="ArgumentException">An axis is not in [-ndim, ndim).</exception>
    public static Tensor Mean(Tensor x, int axis, bool keepDims = false) => new(NA.mean(Interop.Axis(axis), keepDims, x.Value));

    /// <summary>Arithmetic mean, <c>(Σ x) / n</c> over the <c>n</c> reduced elements (<c>jnp.mean</c>); integers and bools are averaged as float32. Reduces over several axes at once.</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="axes">Axes to reduce (negative count from the end); null reduces every axis.</param>
    /// <param name="keepDims">Keep the reduced axes with size 1, so the result broadcasts against <paramref name="x"/>.</param>
    /// <returns>The mean over <paramref name="axes"/>: <paramref name="x"/>'s shape without them (or with them set to 1).</returns>
    /// <exception cref="ArgumentException">An axis is not in [-ndim, ndim).</exception>
    public static Tensor Mean(Tensor x, int[]? axes, bool keepDims = false) => new(NA.mean(Interop.AxesOrAll(axes), keepDims, x.Value));

    /// <summary>Index of the largest element of the flattened tensor, <c>argmax x</c>
    /// (<c>jnp.argmax</c>; the first one on ties).</summary>
    /// <param name="x">Input tensor.</param>
    /// <returns>An int32 scalar: the row-major position of the maximum.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/> has no elements.</exception>
    public static Tensor ArgMax(Tensor x) => new(NA.argmax(FSharpOption<int>.None, x.Value));

    /// <summary>Indices of the largest elements along <paramref name="axis"/>, <c>argmax x</c>
    /// (<c>jnp.argmax</c>; the first one on ties).</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="axis">Axis to search; negative counts from the end.</param>
    /// <returns>An int32 tensor of <paramref name="x"/>'s shape without <paramref name="axis"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is not in [-ndim, ndim).</exception>
    public static Tensor ArgMax(Tensor x, int axis) => new(NA.argmax(Interop.Some(axis), x.Value));

    /// <summary>Index of the smallest element of the flattened tensor, <c>argmin x</c>
    /// (<c>jnp.argmin</c>; the first one on ties).</summary>
    /// <param name="x">Input tensor.</param>
    /// <returns>An int32 scalar: the row-major position of the minimum.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/> has no elements.</exception>
    public static Tensor ArgMin(Tensor x) => new(NA.argmin(FSharpOption<int>.None, x.Value));

    /// <summary>Indices of the smallest elements along <paramref name="axis"/>, <c>argmin x</c>
    /// (<c>jnp.argmin</c>; the first one on ties).</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="axis">Axis to search; negative counts from the end.</param>
    /// <returns>An int32 tensor of <paramref name="x"/>'s shape without <paramref name="axis"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is not in [-ndim, ndim).</exception>
    public static Tensor ArgMin(Tensor x, int axis) => new(NA.argmin(Interop.Some(axis), x.Value));

    /// <summary>Cumulative sum of the flattened tensor, <c>yᵢ = Σ_{j ≤ i} xⱼ</c> in row-major order
    /// (<c>jnp.cumsum</c> with no axis); bools are summed as int32.</summary>
    /// <param name="x">Input tensor.</param>
    /// <returns>A 1-D tensor of <paramref name="x"/>'s size.</returns>
    public static Tensor CumSum(Tensor x) => new(NA.cumsum(0, NA.reshape(Interop.Ints([-1], nameof(x)), x.Value)));

    /// <summary>Cumulative sum along <paramref name="axis"/>, <c>y[…, i, …] = Σ_{j ≤ i} x[…, j, …]</c>
    /// (<c>jnp.cumsum</c>); bools are summed as int32.</summary>
    /// <param name="x">Input tensor.</param>
    /// <param name="axis">Axis to accumulate along; negative counts from the end.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape.</returns>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is not in [-ndim, ndim).</exception>
    public static Tensor CumSum(Tensor x, int axis) => new(NA.cumsum(axis, x.Value));
}
