// Jnp: jax.numpy in PascalCase. Each member is a one-line forwarder into the F# core
// (Cotangent.Core.Numpy / NumpyArrays), which applies numpy broadcasting and JAX's type
// promotion and binds lax primitives, so the same call runs eagerly and traces to a jaxpr.
// This file: unary elementwise math. Binary ops, reductions, shapes, contraction and
// constructors live in Jnp.*.cs.
using N = Cotangent.Core.Numpy;

namespace Cotangent;

/// <summary>
/// <c>jax.numpy</c> for C#: the same functions in PascalCase (<c>jnp.sum</c> is
/// <see cref="Sum(Tensor)"/>), with numpy broadcasting and JAX's type promotion. C# scalars
/// convert implicitly to weakly typed tensors, as Python scalars do in JAX. Every function
/// runs eagerly on concrete tensors and records equations when traced by a transformation.
/// </summary>
public static partial class Jnp
{
    /// <summary>Elementwise exponential, <c>e^x</c> (<c>jnp.exp</c>); integers and bools are promoted to float32.</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns><c>e^x</c>, elementwise, in the inexact dtype of <paramref name="x"/>.</returns>
    public static Tensor Exp(Tensor x) => new(N.exp(x.Value));

    /// <summary>Elementwise natural logarithm, <c>ln x</c> (<c>jnp.log</c>); <c>ln 0 = -inf</c>, negative inputs give NaN.</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns><c>ln x</c>, elementwise.</returns>
    public static Tensor Log(Tensor x) => new(N.log(x.Value));

    /// <summary>Elementwise <c>ln(1 + x)</c>, accurate for small <c>x</c> (<c>jnp.log1p</c>).</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns><c>ln(1 + x)</c>, elementwise.</returns>
    public static Tensor Log1p(Tensor x) => new(N.log1p(x.Value));

    /// <summary>Elementwise <c>e^x - 1</c>, accurate for small <c>x</c> (<c>jnp.expm1</c>).</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns><c>e^x - 1</c>, elementwise.</returns>
    public static Tensor Expm1(Tensor x) => new(N.expm1(x.Value));

    /// <summary>Elementwise sine, <c>sin x</c> with <c>x</c> in radians (<c>jnp.sin</c>).</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns><c>sin x</c>, elementwise.</returns>
    public static Tensor Sin(Tensor x) => new(N.sin(x.Value));

    /// <summary>Elementwise cosine, <c>cos x</c> with <c>x</c> in radians (<c>jnp.cos</c>).</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns><c>cos x</c>, elementwise.</returns>
    public static Tensor Cos(Tensor x) => new(N.cos(x.Value));

    /// <summary>Elementwise tangent, <c>tan x = sin x / cos x</c> (<c>jnp.tan</c>).</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns><c>tan x</c>, elementwise.</returns>
    public static Tensor Tan(Tensor x) => new(N.tan(x.Value));

    /// <summary>Elementwise hyperbolic tangent, <c>tanh x = (e^x - e^-x) / (e^x + e^-x)</c> (<c>jnp.tanh</c>).</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns><c>tanh x</c>, elementwise, in (-1, 1).</returns>
    public static Tensor Tanh(Tensor x) => new(N.tanh(x.Value));

    /// <summary>Elementwise square root, <c>√x</c> (<c>jnp.sqrt</c>); negative inputs give NaN.</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns><c>√x</c>, elementwise.</returns>
    public static Tensor Sqrt(Tensor x) => new(N.sqrt(x.Value));

    /// <summary>Elementwise reciprocal square root, <c>1 / √x</c> (<c>lax.rsqrt</c>).</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns><c>1 / √x</c>, elementwise.</returns>
    public static Tensor Rsqrt(Tensor x) => new(N.rsqrt(x.Value));

    /// <summary>Elementwise logistic sigmoid, <c>σ(x) = 1 / (1 + e^-x)</c> (<c>jax.nn.sigmoid</c>, the <c>logistic</c> primitive).</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns><c>σ(x)</c>, elementwise, in (0, 1).</returns>
    public static Tensor Sigmoid(Tensor x) => new(N.sigmoid(x.Value));

    /// <summary>Elementwise floor, <c>⌊x⌋</c>, the largest integer not above <c>x</c> (<c>jnp.floor</c>).</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns><c>⌊x⌋</c>, elementwise, as a float.</returns>
    public static Tensor Floor(Tensor x) => new(N.floor(x.Value));

    /// <summary>Elementwise ceiling, <c>⌈x⌉</c>, the smallest integer not below <c>x</c> (<c>jnp.ceil</c>).</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns><c>⌈x⌉</c>, elementwise, as a float.</returns>
    public static Tensor Ceil(Tensor x) => new(N.ceil(x.Value));

    /// <summary>Elementwise rounding to the nearest integer, ties to even (<c>jnp.round</c>: <c>round(2.5) = 2</c>, <c>round(3.5) = 4</c>).</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns>The rounded values, as floats.</returns>
    public static Tensor Round(Tensor x) => new(N.round(x.Value));

    /// <summary>Elementwise test for finiteness: <c>true</c> unless <c>x</c> is ±inf or NaN (<c>jnp.isfinite</c>).</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns>A bool tensor of the shape of <paramref name="x"/>.</returns>
    public static Tensor IsFinite(Tensor x) => new(N.isFinite(x.Value));

    /// <summary>Elementwise absolute value, <c>|x|</c> (<c>jnp.abs</c>).</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns><c>|x|</c>, elementwise, in the dtype of <paramref name="x"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/> is bool or uint32 (the <c>abs</c> primitive takes signed dtypes).</exception>
    public static Tensor Abs(Tensor x) => new(N.absolute(x.Value));

    /// <summary>Elementwise sign: <c>-1</c>, <c>0</c> or <c>1</c> as <c>x</c> is negative, zero or positive (<c>jnp.sign</c>).</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns>The signs, in the dtype of <paramref name="x"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/> is bool (the <c>sign</c> primitive takes numeric dtypes).</exception>
    public static Tensor Sign(Tensor x) => new(N.sign(x.Value));

    /// <summary>Elementwise negation, <c>-x</c> (<c>jnp.negative</c>).</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns><c>-x</c>, elementwise, in the dtype of <paramref name="x"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/> is bool (the <c>neg</c> primitive takes numeric dtypes).</exception>
    public static Tensor Negative(Tensor x) => new(N.negative(x.Value));

    /// <summary>Elementwise square, <c>x²</c> (<c>jnp.square</c>, an <c>integer_pow</c> with <c>y=2</c>).</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns><c>x²</c>, elementwise, in the dtype of <paramref name="x"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/> is bool.</exception>
    public static Tensor Square(Tensor x) => new(N.square(x.Value));

    /// <summary>Elementwise logical negation, <c>¬x</c> (<c>jnp.logical_not</c> on bools; the <c>not</c> primitive, bitwise on integers).</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns><c>¬x</c>, elementwise, in the dtype of <paramref name="x"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/> is a float (the <c>not</c> primitive takes bools and integers).</exception>
    public static Tensor LogicalNot(Tensor x) => new(N.logicalNot(x.Value));

    /// <summary>The identity, <c>x</c>, whose derivative is zero (<c>lax.stop_gradient</c>): differentiation treats the result as a constant.</summary>
    /// <param name="x">Input tensor (a C# scalar converts implicitly).</param>
    /// <returns><paramref name="x"/>'s value, cut off from differentiation.</returns>
    public static Tensor StopGradient(Tensor x) => new(N.stopGradient(x.Value));
}
