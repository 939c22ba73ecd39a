// Jnp: constructors. Array makes concrete, strongly typed tensors from .NET arrays; Zeros, Ones,
// Full, Eye and Arange bind lax primitives (broadcast_in_dim, iota) as jnp does, so they are
// staged into the jaxpr when called inside a transformation.
using Cotangent.Core;
using NA = Cotangent.Core.NumpyArrays;

namespace Cotangent;

public static partial class Jnp
{
    /// <summary>A 1-D <c>float32</c> tensor holding a copy of <paramref name="data"/> (<c>jnp.array</c>); it is
    /// strongly typed (unlike a C# scalar, it keeps its dtype in mixed arithmetic).</summary>
    /// <param name="data">The elements.</param>
    /// <returns>A concrete tensor of shape <c>[data.Length]</c> and dtype <see cref="DType.Float32"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    public static Tensor Array(float[] data) => Interop.Concrete(data, null, NdArrayModule.ofFloat32);

    /// <summary>A <c>float32</c> tensor of <paramref name="shape"/> holding a copy of <paramref name="data"/>
    /// in row-major order (<c>jnp.array(data).reshape(shape)</c>); strongly typed.</summary>
    /// <param name="data">The elements, row-major (last axis fastest).</param>
    /// <param name="shape">The dimensions; their product must equal <c>data.Length</c> (empty for a scalar).</param>
    /// <returns>A concrete tensor of <paramref name="shape"/> and dtype <see cref="DType.Float32"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> or <paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="shape"/> has a negative dimension, or its size differs from <c>data.Length</c> (the message names both).</exception>
    public static Tensor Array(float[] data, int[] shape) => Interop.Concrete(data, shape ?? throw new ArgumentNullException(nameof(shape)), NdArrayModule.ofFloat32);

    /// <summary>A 1-D <c>float64</c> tensor holding a copy of <paramref name="data"/> (<c>jnp.array</c>); it is
    /// strongly typed (unlike a C# scalar, it keeps its dtype in mixed arithmetic).</summary>
    /// <param name="data">The elements.</param>
    /// <returns>A concrete tensor of shape <c>[data.Length]</c> and dtype <see cref="DType.Float64"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    public static Tensor Array(double[] data) => Interop.Concrete(data, null, NdArrayModule.ofFloat64);

    /// <summary>A <c>float64</c> tensor of <paramref name="shape"/> holding a copy of <paramref name="data"/>
    /// in row-major order (<c>jnp.array(data).reshape(shape)</c>); strongly typed.</summary>
    /// <param name="data">The elements, row-major (last axis fastest).</param>
    /// <param name="shape">The dimensions; their product must equal <c>data.Length</c> (empty for a scalar).</param>
    /// <returns>A concrete tensor of <paramref name="shape"/> and dtype <see cref="DType.Float64"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> or <paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="shape"/> has a negative dimension, or its size differs from <c>data.Length</c> (the message names both).</exception>
    public static Tensor Array(double[] data, int[] shape) => Interop.Concrete(data, shape ?? throw new ArgumentNullException(nameof(shape)), NdArrayModule.ofFloat64);

    /// <summary>A 1-D <c>int32</c> tensor holding a copy of <paramref name="data"/> (<c>jnp.array</c>); it is
    /// strongly typed (unlike a C# scalar, it keeps its dtype in mixed arithmetic).</summary>
    /// <param name="data">The elements.</param>
    /// <returns>A concrete tensor of shape <c>[data.Length]</c> and dtype <see cref="DType.Int32"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    public static Tensor Array(int[] data) => Interop.Concrete(data, null, NdArrayModule.ofInt32);

    /// <summary>A <c>int32</c> tensor of <paramref name="shape"/> holding a copy of <paramref name="data"/>
    /// in row-major order (<c>jnp.array(data).reshape(shape)</c>); strongly typed.</summary>
    /// <param name="data">The elements, row-major (last axis fastest).</param>
    /// <param name="shape">The dimensions; their product must equal <c>data.Length</c> (empty for a scalar).</param>
    /// <returns>A concrete tensor of <paramref name="shape"/> and dtype <see cref="DType.Int32"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> or <paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="shape"/> has a negative dimension, or its size differs from <c>data.Length</c> (the message names both).</exception>
    public static Tensor Array(int[] data, int[] shape) => Interop.Concrete(data, shape ?? throw new ArgumentNullException(nameof(shape)), NdArrayModule.ofInt32);

    /// <summary>A 1-D <c>bool</c> tensor holding a copy of <paramref name="data"/> (<c>jnp.array</c>); it is
    /// strongly typed (unlike a C# scalar, it keeps its dtype in mixed arithmetic).</summary>
    /// <param name="data">The elements.</param>
    /// <returns>A concrete tensor of shape <c>[data.Length]</c> and dtype <see cref="DType.Bool"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    public static Tensor Array(bool[] data) => Interop.Concrete(data, null, NdArrayModule.ofBool);

    /// <summary>A <c>bool</c> tensor of <paramref name="shape"/> holding a copy of <paramref name="data"/>
    /// in row-major order (<c>jnp.array(data).reshape(shape)</c>); strongly typed.</summary>
    /// <param name="data">The elements, row-major (last axis fastest).</param>
    /// <param name="shape">The dimensions; their product must equal <c>data.Length</c> (empty for a scalar).</param>
    /// <returns>A concrete tensor of <paramref name="shape"/> and dtype <see cref="DType.Bool"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> or <paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="shape"/> has a negative dimension, or its size differs from <c>data.Length</c> (the message names both).</exception>
    public static Tensor Array(bool[] data, int[] shape) => Interop.Concrete(data, shape ?? throw new ArgumentNullException(nameof(shape)), NdArrayModule.ofBool);

    /// <summary>A tensor of <paramref name="shape"/> filled with 0 (<c>jnp.zeros</c>).</summary>
    /// <param name="shape">The dimensions (empty for a scalar).</param>
    /// <param name="dtype">The element type; float32 by default.</param>
    /// <returns>A tensor of zeros of <paramref name="shape"/> and <paramref name="dtype"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="shape"/> has a negative dimension.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined <see cref="DType"/>.</exception>
    public static Tensor Zeros(int[] shape, DType dtype = DType.Float32) => Full(shape, 0.0, dtype);

    /// <summary>A tensor of <paramref name="shape"/> filled with 1 (<c>jnp.ones</c>).</summary>
    /// <param name="shape">The dimensions (empty for a scalar).</param>
    /// <param name="dtype">The element type; float32 by default.</param>
    /// <returns>A tensor of ones of <paramref name="shape"/> and <paramref name="dtype"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="shape"/> has a negative dimension.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined <see cref="DType"/>.</exception>
    public static Tensor Ones(int[] shape, DType dtype = DType.Float32) => Full(shape, 1.0, dtype);

    /// <summary>A tensor of <paramref name="shape"/> with every element <paramref name="value"/>
    /// (<c>jnp.full</c>): a <c>broadcast_in_dim</c> of the scalar, cast to <paramref name="dtype"/> as numpy's <c>astype</c> casts.</summary>
    /// <param name="shape">The dimensions (empty for a scalar).</param>
    /// <param name="value">The fill value.</param>
    /// <param name="dtype">The element type; float32 by default.</param>
    /// <returns>A tensor of <paramref name="shape"/> and <paramref name="dtype"/> filled with <paramref name="value"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="shape"/> has a negative dimension.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined <see cref="DType"/>.</exception>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32) =>
        new(NA.full(Interop.Dtype(dtype, nameof(dtype)), Interop.Dims(shape, "Jnp.Full"), value));

    /// <summary>The <c>n × n</c> float32 identity matrix, <c>I[i, j] = (i == j ? 1 : 0)</c> (<c>jnp.eye</c>).</summary>
    /// <param name="n">The number of rows and columns.</param>
    /// <returns>A float32 tensor of shape <c>[n, n]</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="n"/> is negative.</exception>
    public static Tensor Eye(int n) => Eye(n, n, DType.Float32);

    /// <summary>The <c>n × m</c> float32 matrix with ones on the main diagonal, <c>I[i, j] = (i == j ? 1 : 0)</c> (<c>jnp.eye</c>).</summary>
    /// <param name="n">The number of rows.</param>
    /// <param name="m">The number of columns.</param>
    /// <returns>A float32 tensor of shape <c>[n, m]</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="n"/> or <paramref name="m"/> is negative.</exception>
    public static Tensor Eye(int n, int m) => Eye(n, m, DType.Float32);

    /// <summary>The <c>n × m</c> matrix with ones on the main diagonal, <c>I[i, j] = (i == j ? 1 : 0)</c> (<c>jnp.eye</c>).</summary>
    /// <param name="n">The number of rows.</param>
    /// <param name="m">The number of columns.</param>
    /// <param name="dtype">The element type.</param>
    /// <returns>A tensor of shape <c>[n, m]</c> and <paramref name="dtype"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="n"/> or <paramref name="m"/> is negative.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined <see cref="DType"/>.</exception>
    public static Tensor Eye(int n, int m, DType dtype) =>
        new(NA.eye(Interop.Dtype(dtype, nameof(dtype)), Interop.Dim(n, nameof(n)), Interop.Dim(m, nameof(m))));

    /// <summary>The int32 vector <c>[0, 1, …, n - 1]</c> (<c>jnp.arange(n)</c>, the <c>iota</c> primitive).</summary>
    /// <param name="n">The number of elements.</param>
    /// <returns>An int32 tensor of shape <c>[n]</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="n"/> is negative.</exception>
    public static Tensor Arange(int n) => Arange(n, DType.Int32);

    /// <summary>The vector <c>[0, 1, …, n - 1]</c> of <paramref name="dtype"/> (<c>jnp.arange(n, dtype=dtype)</c>).</summary>
    /// <param name="n">The number of elements.</param>
    /// <param name="dtype">The element type.</param>
    /// <returns>A tensor of shape <c>[n]</c> and <paramref name="dtype"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="n"/> is negative.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined <see cref="DType"/>.</exception>
    public static Tensor Arange(int n, DType dtype) => new(NA.arange(Interop.Dtype(dtype, nameof(dtype)), Interop.Dim(n, nameof(n))));
}
