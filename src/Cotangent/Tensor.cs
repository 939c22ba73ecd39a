// Tensor: the array type users hold. It wraps a value of the F# core (a concrete array, or a
// tracer while a transformation runs); its operators bind lax primitives through jax.numpy's
// promotion rules, so the same C# code runs eagerly and traces to a jaxpr.
using System.Collections;
using Cotangent.Core;
using Microsoft.FSharp.Core;
using Value = Cotangent.Core.Tracing.Value;
using N = Cotangent.Core.Numpy;

namespace Cotangent;

/// <summary>Element types, as in <c>jax.numpy</c>: <c>bool</c>, <c>int32</c>, <c>uint32</c>,
/// <c>float32</c>, <c>float64</c>.</summary>
public enum DType
{
    /// <summary>Booleans (<c>bool</c>).</summary>
    Bool,
    /// <summary>32-bit signed integers (<c>int32</c>, printed <c>i32</c>).</summary>
    Int32,
    /// <summary>32-bit unsigned integers (<c>uint32</c>, printed <c>u32</c>).</summary>
    UInt32,
    /// <summary>32-bit floats (<c>float32</c>, printed <c>f32</c>): the default.</summary>
    Float32,
    /// <summary>64-bit floats (<c>float64</c>, printed <c>f64</c>).</summary>
    Float64,
}

/// <summary>
/// An n-dimensional array, like <c>jax.Array</c>. Operators follow <c>jax.numpy</c>: numpy
/// broadcasting and JAX's type promotion, where C# scalars are weakly typed like Python scalars
/// (<c>x * 2</c> keeps <c>x</c>'s dtype). Inside a transformation a tensor stands for a traced value.
/// </summary>
public sealed partial class Tensor : IEnumerable<Tensor>
{
    internal readonly Value Value;

    internal Tensor(Value value) => Value = value;

    internal static Tensor Of(Value value) => new(value);

    internal Aval Aval => Tracing.ValueModule.aval(Value);

    /// <summary>The dimensions, outermost first (empty for a scalar).</summary>
    public int[] Shape => (int[])Aval.Shape.Clone();

    /// <summary>The number of dimensions.</summary>
    public int Rank => Aval.Shape.Length;

    /// <summary>The number of elements.</summary>
    public int Size => Core.Shape.size(Aval.Shape);

    /// <summary>The element type.</summary>
    public DType DType => Interop.ToPublic(Aval.DType);

    /// <summary>True for a weakly typed value (born from a C# scalar), which takes the other
    /// operand's dtype in mixed arithmetic, as Python scalars do in JAX.</summary>
    public bool IsWeaklyTyped => Aval.Weak;

    /// <summary>True while this tensor stands for a traced value inside a transformation.</summary>
    public bool IsTraced => Value.IsTraced;

    /// <summary>A weakly typed float32 scalar (a C# <see cref="float"/> acts like a Python float).</summary>
    /// <param name="x">The value.</param>
    /// <returns>A rank-0 float32 tensor with <c>IsWeaklyTyped</c> set.</returns>
    public static implicit operator Tensor(float x) => Scalar(Core.DType.F32, x);

    /// <summary>A weakly typed float32 scalar (like a Python float under JAX's default x32 mode).</summary>
    /// <param name="x">The value, rounded to float32.</param>
    /// <returns>A rank-0 float32 tensor with <c>IsWeaklyTyped</c> set.</returns>
    public static implicit operator Tensor(double x) => Scalar(Core.DType.F32, x);

    /// <summary>A weakly typed int32 scalar (a C# <see cref="int"/> acts like a Python int).</summary>
    /// <param name="x">The value.</param>
    /// <returns>A rank-0 int32 tensor with <c>IsWeaklyTyped</c> set.</returns>
    public static implicit operator Tensor(int x) => Scalar(Core.DType.I32, x);

    /// <summary>A bool scalar (Python bools are not weakly typed in JAX).</summary>
    /// <param name="x">The value.</param>
    /// <returns>A rank-0, strongly typed bool tensor.</returns>
    public static implicit operator Tensor(bool x) => new(Value.NewConcrete(NdArrayModule.scalar(Core.DType.Bool, false, x ? 1.0 : 0.0)));

    private static Tensor Scalar(Core.DType dtype, double x) => new(Value.NewConcrete(NdArrayModule.scalar(dtype, true, x)));

    /// <summary>Elementwise sum (<c>jnp.add</c>).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns>The broadcast, promoted sum.</returns>
    public static Tensor operator +(Tensor x, Tensor y) => new(N.add(x.Value, y.Value));

    /// <summary>Elementwise difference (<c>jnp.subtract</c>).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns>The broadcast, promoted difference.</returns>
    public static Tensor operator -(Tensor x, Tensor y) => new(N.subtract(x.Value, y.Value));

    /// <summary>Elementwise product (<c>jnp.multiply</c>).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns>The broadcast, promoted product.</returns>
    public static Tensor operator *(Tensor x, Tensor y) => new(N.multiply(x.Value, y.Value));

    /// <summary>Elementwise true division (<c>jnp.divide</c>): integers divide as floats.</summary>
    /// <param name="x">Dividend.</param>
    /// <param name="y">Divisor.</param>
    /// <returns>The broadcast quotient.</returns>
    public static Tensor operator /(Tensor x, Tensor y) => new(N.divide(x.Value, y.Value));

    /// <summary>Elementwise remainder with the sign of the dividend (<c>lax.rem</c>).</summary>
    /// <param name="x">Dividend.</param>
    /// <param name="y">Divisor.</param>
    /// <returns>The broadcast remainder.</returns>
    public static Tensor operator %(Tensor x, Tensor y) => new(N.remainder(x.Value, y.Value));

    /// <summary>Elementwise negation (<c>jnp.negative</c>).</summary>
    /// <param name="x">Operand.</param>
    /// <returns><c>-x</c>.</returns>
    public static Tensor operator -(Tensor x) => new(N.negative(x.Value));

    /// <summary>Identity (unary plus).</summary>
    /// <param name="x">Operand.</param>
    /// <returns><paramref name="x"/>.</returns>
    public static Tensor operator +(Tensor x) => x;

    /// <summary>Elementwise <c>x &lt; y</c> (<c>jnp.less</c>).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns>A bool tensor.</returns>
    public static Tensor operator <(Tensor x, Tensor y) => new(N.less(x.Value, y.Value));

    /// <summary>Elementwise <c>x &gt; y</c> (<c>jnp.greater</c>).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns>A bool tensor.</returns>
    public static Tensor operator >(Tensor x, Tensor y) => new(N.greater(x.Value, y.Value));

    /// <summary>Elementwise <c>x &lt;= y</c> (<c>jnp.less_equal</c>).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns>A bool tensor.</returns>
    public static Tensor operator <=(Tensor x, Tensor y) => new(N.lessEqual(x.Value, y.Value));

    /// <summary>Elementwise <c>x &gt;= y</c> (<c>jnp.greater_equal</c>).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns>A bool tensor.</returns>
    public static Tensor operator >=(Tensor x, Tensor y) => new(N.greaterEqual(x.Value, y.Value));

    /// <summary>Row <paramref name="i"/> along the leading axis, like <c>x[i]</c> in JAX
    /// (negative counts from the end).</summary>
    /// <param name="i">The index.</param>
    /// <returns>A tensor of rank one less.</returns>
    /// <exception cref="ArgumentException">The tensor is a scalar or <paramref name="i"/> is out of range.</exception>
    public Tensor this[int i] => new(NumpyArrays.index(i, Value));

    /// <summary>Iterates the leading axis, as iterating a JAX array does.</summary>
    /// <returns>The rows, in order.</returns>
    /// <exception cref="ArgumentException">The tensor is a scalar.</exception>
    public IEnumerator<Tensor> GetEnumerator()
    {
        foreach (var row in NumpyArrays.rows(Value)) yield return new Tensor(row);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal NdArray Concrete(string what) => Tracing.concreteArray(what, Value);

    /// <summary>The elements in row-major order, converted to <typeparamref name="T"/>
    /// (<see cref="float"/>, <see cref="double"/>, <see cref="int"/>, <see cref="uint"/> or <see cref="bool"/>).</summary>
    /// <typeparam name="T">The element type to read.</typeparam>
    /// <returns>A new array of <see cref="Size"/> elements.</returns>
    /// <exception cref="Core.Tracing.ConcretizationException">The tensor is traced (inside Jit or another transformation): its values are not known yet.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not one of the supported types.</exception>
    public T[] ToArray<T>() => Interop.ToArray<T>(Concrete(nameof(ToArray)));

    /// <summary>The single element of a one-element tensor, converted to <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The element type to read.</typeparam>
    /// <returns>The element.</returns>
    /// <exception cref="Core.Tracing.ConcretizationException">The tensor is traced (inside Jit or another transformation): its value is not known yet.</exception>
    /// <exception cref="InvalidOperationException">The tensor has more than one element.</exception>
    public T ToScalar<T>()
    {
        var items = Interop.ToArray<T>(Concrete(nameof(ToScalar)));
        if (items.Length != 1)
            throw new InvalidOperationException($"ToScalar needs a tensor of one element, got {AvalModule.str(Aval)}.");
        return items[0];
    }
}
