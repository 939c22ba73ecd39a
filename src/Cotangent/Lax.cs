// Lax: jax.lax in PascalCase, one function per primitive of the lax dialect, each a one-line
// forwarder into Cotangent.Core.LaxOps. Unlike Jnp, nothing is promoted or broadcast by rank:
// operands must already satisfy the primitive's type rule, as in jax.lax. This file: the
// elementwise primitives; Lax.Structural.cs holds shape, reduction, slicing and contraction ops.
using L = Cotangent.Core.LaxOps;

namespace Cotangent;

/// <summary>Rounding of halfway cases for <see cref="Lax.Round(Tensor, RoundingMethod)"/>
/// (<c>lax.RoundingMethod</c>).</summary>
public enum RoundingMethod
{
    /// <summary>Halfway cases round away from zero: <c>2.5 → 3</c>, <c>-2.5 → -3</c> (lax's default).</summary>
    AwayFromZero,
    /// <summary>Halfway cases round to the even neighbour: <c>2.5 → 2</c>, <c>3.5 → 4</c> (numpy's rule).</summary>
    ToNearestEven,
}

/// <summary>
/// <c>jax.lax</c> for C#: the primitives themselves, in PascalCase (<c>lax.dot_general</c> is
/// <see cref="DotGeneral(Tensor, Tensor, int[], int[], int[], int[])"/>). No type promotion
/// happens here: operands must share a dtype, and shapes must be equal up to rank-0 operands and
/// size-1 dimensions. Each call binds one primitive, eagerly or under the current trace.
/// </summary>
public static partial class Lax
{
    /// <summary>Rounds to the nearest integer, halfway cases away from zero: the <c>round</c>
    /// primitive (<c>lax.round</c> with its default <c>rounding_method=0</c>).</summary>
    /// <param name="x">Operand of a floating dtype.</param>
    /// <returns>The rounded values, of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not floating.</exception>
    public static Tensor Round(Tensor x) => Round(x, RoundingMethod.AwayFromZero);

    /// <summary>Rounds to the nearest integer with halfway cases resolved by <paramref name="method"/>:
    /// the <c>round</c> primitive (<c>lax.round</c>).</summary>
    /// <param name="x">Operand of a floating dtype.</param>
    /// <param name="method">How halfway cases round.</param>
    /// <returns>The rounded values, of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not floating.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="method"/> is not a defined <see cref="RoundingMethod"/>.</exception>
    public static Tensor Round(Tensor x, RoundingMethod method) => new(L.round(Interop.ToCore(method), x.Value));

    /// <summary>Integer power, <c>x^y</c> for a fixed integer <paramref name="y"/> (by repeated
    /// multiplication), elementwise: the <c>integer_pow</c> primitive (<c>lax.integer_pow</c>).</summary>
    /// <param name="x">Operand of a numeric dtype.</param>
    /// <param name="y">The exponent (negative exponents take the reciprocal).</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/> is bool.</exception>
    public static Tensor IntegerPow(Tensor x, int y) => new(L.integerPow(y, x.Value));

    /// <summary>Negation, <c>-x</c>, elementwise: the <c>neg</c> primitive (<c>lax.neg</c>).</summary>
    /// <param name="x">Operand of a numeric dtype.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not numeric.</exception>
    public static Tensor Neg(Tensor x) => new(L.neg(x.Value));

    /// <summary>Sign, <c>-1</c>, <c>0</c> or <c>1</c>, elementwise: the <c>sign</c> primitive (<c>lax.sign</c>).</summary>
    /// <param name="x">Operand of a numeric dtype.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not numeric.</exception>
    public static Tensor Sign(Tensor x) => new(L.sign(x.Value));

    /// <summary>Floor, <c>⌊x⌋</c>, elementwise: the <c>floor</c> primitive (<c>lax.floor</c>).</summary>
    /// <param name="x">Operand of a floating dtype.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not floating.</exception>
    public static Tensor Floor(Tensor x) => new(L.floor(x.Value));

    /// <summary>Ceiling, <c>⌈x⌉</c>, elementwise: the <c>ceil</c> primitive (<c>lax.ceil</c>).</summary>
    /// <param name="x">Operand of a floating dtype.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not floating.</exception>
    public static Tensor Ceil(Tensor x) => new(L.ceil(x.Value));

    /// <summary>Finiteness test: <c>true</c> unless <c>x</c> is ±inf or NaN (a bool result), elementwise: the <c>is_finite</c> primitive (<c>lax.is_finite</c>).</summary>
    /// <param name="x">Operand of a floating dtype.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape (bool).</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not floating.</exception>
    public static Tensor IsFinite(Tensor x) => new(L.isFinite(x.Value));

    /// <summary>Exponential, <c>e^x</c>, elementwise: the <c>exp</c> primitive (<c>lax.exp</c>).</summary>
    /// <param name="x">Operand of a floating dtype.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not floating.</exception>
    public static Tensor Exp(Tensor x) => new(L.exp(x.Value));

    /// <summary>Natural logarithm, <c>ln x</c>, elementwise: the <c>log</c> primitive (<c>lax.log</c>).</summary>
    /// <param name="x">Operand of a floating dtype.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not floating.</exception>
    public static Tensor Log(Tensor x) => new(L.log(x.Value));

    /// <summary><c>ln(1 + x)</c>, elementwise: the <c>log1p</c> primitive (<c>lax.log1p</c>).</summary>
    /// <param name="x">Operand of a floating dtype.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not floating.</exception>
    public static Tensor Log1p(Tensor x) => new(L.log1p(x.Value));

    /// <summary><c>e^x - 1</c>, elementwise: the <c>expm1</c> primitive (<c>lax.expm1</c>).</summary>
    /// <param name="x">Operand of a floating dtype.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not floating.</exception>
    public static Tensor Expm1(Tensor x) => new(L.expm1(x.Value));

    /// <summary>Sine, <c>sin x</c>, elementwise: the <c>sin</c> primitive (<c>lax.sin</c>).</summary>
    /// <param name="x">Operand of a floating dtype.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not floating.</exception>
    public static Tensor Sin(Tensor x) => new(L.sin(x.Value));

    /// <summary>Cosine, <c>cos x</c>, elementwise: the <c>cos</c> primitive (<c>lax.cos</c>).</summary>
    /// <param name="x">Operand of a floating dtype.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not floating.</exception>
    public static Tensor Cos(Tensor x) => new(L.cos(x.Value));

    /// <summary>Tangent, <c>tan x</c>, elementwise: the <c>tan</c> primitive (<c>lax.tan</c>).</summary>
    /// <param name="x">Operand of a floating dtype.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not floating.</exception>
    public static Tensor Tan(Tensor x) => new(L.tan(x.Value));

    /// <summary>Hyperbolic tangent, <c>tanh x</c>, elementwise: the <c>tanh</c> primitive (<c>lax.tanh</c>).</summary>
    /// <param name="x">Operand of a floating dtype.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not floating.</exception>
    public static Tensor Tanh(Tensor x) => new(L.tanh(x.Value));

    /// <summary>Logistic sigmoid, <c>1 / (1 + e^-x)</c>, elementwise: the <c>logistic</c> primitive (<c>lax.logistic</c>).</summary>
    /// <param name="x">Operand of a floating dtype.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not floating.</exception>
    public static Tensor Logistic(Tensor x) => new(L.logistic(x.Value));

    /// <summary>Square root, <c>√x</c>, elementwise: the <c>sqrt</c> primitive (<c>lax.sqrt</c>).</summary>
    /// <param name="x">Operand of a floating dtype.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not floating.</exception>
    public static Tensor Sqrt(Tensor x) => new(L.sqrt(x.Value));

    /// <summary>Reciprocal square root, <c>1 / √x</c>, elementwise: the <c>rsqrt</c> primitive (<c>lax.rsqrt</c>).</summary>
    /// <param name="x">Operand of a floating dtype.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not floating.</exception>
    public static Tensor Rsqrt(Tensor x) => new(L.rsqrt(x.Value));

    /// <summary>Absolute value, <c>|x|</c>, elementwise: the <c>abs</c> primitive (<c>lax.abs</c>).</summary>
    /// <param name="x">Operand of a signed (int32 or float) dtype.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not signed (int32 or float).</exception>
    public static Tensor Abs(Tensor x) => new(L.abs(x.Value));

    /// <summary>Bitwise (for bools, logical) negation, <c>~x</c>, elementwise: the <c>not</c> primitive (<c>lax.bitwise_not</c>).</summary>
    /// <param name="x">Operand of a bool or integer dtype.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/>'s dtype is not bool or integer.</exception>
    public static Tensor BitwiseNot(Tensor x) => new(L.bitwiseNot(x.Value));

    /// <summary>The identity, <c>x</c>, with a zero derivative, elementwise: the <c>stop_gradient</c> primitive (<c>lax.stop_gradient</c>).</summary>
    /// <param name="x">Operand.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape and dtype.</returns>
    public static Tensor StopGradient(Tensor x) => new(L.stopGradient(x.Value));

    /// <summary>Power, <c>x^y</c>, elementwise: the <c>pow</c> primitive (<c>lax.pow</c>). No promotion:
    /// the operands must share a dtype; shapes must be equal up to rank-0 operands and size-1 dimensions.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <returns>A tensor of the common shape and dtype.</returns>
    /// <exception cref="ArgumentException">The dtypes differ or are not floating, or the shapes are incompatible.</exception>
    public static Tensor Pow(Tensor x, Tensor y) => new(L.pow(x.Value, y.Value));

    /// <summary>Sum, <c>x + y</c>, elementwise: the <c>add</c> primitive (<c>lax.add</c>). No promotion:
    /// the operands must share a dtype; shapes must be equal up to rank-0 operands and size-1 dimensions.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <returns>A tensor of the common shape and dtype.</returns>
    /// <exception cref="ArgumentException">The dtypes differ or are not numeric, or the shapes are incompatible.</exception>
    public static Tensor Add(Tensor x, Tensor y) => new(L.add(x.Value, y.Value));

    /// <summary>Difference, <c>x - y</c>, elementwise: the <c>sub</c> primitive (<c>lax.sub</c>). No promotion:
    /// the operands must share a dtype; shapes must be equal up to rank-0 operands and size-1 dimensions.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <returns>A tensor of the common shape and dtype.</returns>
    /// <exception cref="ArgumentException">The dtypes differ or are not numeric, or the shapes are incompatible.</exception>
    public static Tensor Sub(Tensor x, Tensor y) => new(L.sub(x.Value, y.Value));

    /// <summary>Product, <c>x · y</c>, elementwise: the <c>mul</c> primitive (<c>lax.mul</c>). No promotion:
    /// the operands must share a dtype; shapes must be equal up to rank-0 operands and size-1 dimensions.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <returns>A tensor of the common shape and dtype.</returns>
    /// <exception cref="ArgumentException">The dtypes differ or are not numeric, or the shapes are incompatible.</exception>
    public static Tensor Mul(Tensor x, Tensor y) => new(L.mul(x.Value, y.Value));

    /// <summary>Quotient, <c>x / y</c> (truncating toward zero for integers), elementwise: the <c>div</c> primitive (<c>lax.div</c>). No promotion:
    /// the operands must share a dtype; shapes must be equal up to rank-0 operands and size-1 dimensions.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <returns>A tensor of the common shape and dtype.</returns>
    /// <exception cref="ArgumentException">The dtypes differ or are not numeric, or the shapes are incompatible.</exception>
    public static Tensor Div(Tensor x, Tensor y) => new(L.div(x.Value, y.Value));

    /// <summary>Remainder of truncated division, <c>x - y · trunc(x / y)</c> (the sign of <c>x</c>), elementwise: the <c>rem</c> primitive (<c>lax.rem</c>). No promotion:
    /// the operands must share a dtype; shapes must be equal up to rank-0 operands and size-1 dimensions.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <returns>A tensor of the common shape and dtype.</returns>
    /// <exception cref="ArgumentException">The dtypes differ or are not numeric, or the shapes are incompatible.</exception>
    public static Tensor Rem(Tensor x, Tensor y) => new(L.rem(x.Value, y.Value));

    /// <summary>Maximum, <c>max(x, y)</c>, elementwise: the <c>max</c> primitive (<c>lax.max</c>). No promotion:
    /// the operands must share a dtype; shapes must be equal up to rank-0 operands and size-1 dimensions.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <returns>A tensor of the common shape and dtype.</returns>
    /// <exception cref="ArgumentException">The dtypes differ, or the shapes are incompatible.</exception>
    public static Tensor Max(Tensor x, Tensor y) => new(L.max(x.Value, y.Value));

    /// <summary>Minimum, <c>min(x, y)</c>, elementwise: the <c>min</c> primitive (<c>lax.min</c>). No promotion:
    /// the operands must share a dtype; shapes must be equal up to rank-0 operands and size-1 dimensions.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <returns>A tensor of the common shape and dtype.</returns>
    /// <exception cref="ArgumentException">The dtypes differ, or the shapes are incompatible.</exception>
    public static Tensor Min(Tensor x, Tensor y) => new(L.min(x.Value, y.Value));

    /// <summary>Two-argument arctangent, <c>atan2(x, y)</c> in [-π, π], elementwise: the <c>atan2</c> primitive (<c>lax.atan2</c>). No promotion:
    /// the operands must share a dtype; shapes must be equal up to rank-0 operands and size-1 dimensions.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <returns>A tensor of the common shape and dtype.</returns>
    /// <exception cref="ArgumentException">The dtypes differ or are not floating, or the shapes are incompatible.</exception>
    public static Tensor Atan2(Tensor x, Tensor y) => new(L.atan2(x.Value, y.Value));

    /// <summary>Equality, <c>x == y</c> (a bool result), elementwise: the <c>eq</c> primitive (<c>lax.eq</c>). No promotion:
    /// the operands must share a dtype; shapes must be equal up to rank-0 operands and size-1 dimensions.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <returns>A tensor of the common shape (bool).</returns>
    /// <exception cref="ArgumentException">The dtypes differ, or the shapes are incompatible.</exception>
    public static Tensor Eq(Tensor x, Tensor y) => new(L.eq(x.Value, y.Value));

    /// <summary>Inequality, <c>x != y</c> (a bool result), elementwise: the <c>ne</c> primitive (<c>lax.ne</c>). No promotion:
    /// the operands must share a dtype; shapes must be equal up to rank-0 operands and size-1 dimensions.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <returns>A tensor of the common shape (bool).</returns>
    /// <exception cref="ArgumentException">The dtypes differ, or the shapes are incompatible.</exception>
    public static Tensor Ne(Tensor x, Tensor y) => new(L.ne(x.Value, y.Value));

    /// <summary>Comparison <c>x &lt; y</c> (a bool result), elementwise: the <c>lt</c> primitive (<c>lax.lt</c>). No promotion:
    /// the operands must share a dtype; shapes must be equal up to rank-0 operands and size-1 dimensions.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <returns>A tensor of the common shape (bool).</returns>
    /// <exception cref="ArgumentException">The dtypes differ, or the shapes are incompatible.</exception>
    public static Tensor Lt(Tensor x, Tensor y) => new(L.lt(x.Value, y.Value));

    /// <summary>Comparison <c>x ≤ y</c> (a bool result), elementwise: the <c>le</c> primitive (<c>lax.le</c>). No promotion:
    /// the operands must share a dtype; shapes must be equal up to rank-0 operands and size-1 dimensions.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <returns>A tensor of the common shape (bool).</returns>
    /// <exception cref="ArgumentException">The dtypes differ, or the shapes are incompatible.</exception>
    public static Tensor Le(Tensor x, Tensor y) => new(L.le(x.Value, y.Value));

    /// <summary>Comparison <c>x &gt; y</c> (a bool result), elementwise: the <c>gt</c> primitive (<c>lax.gt</c>). No promotion:
    /// the operands must share a dtype; shapes must be equal up to rank-0 operands and size-1 dimensions.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <returns>A tensor of the common shape (bool).</returns>
    /// <exception cref="ArgumentException">The dtypes differ, or the shapes are incompatible.</exception>
    public static Tensor Gt(Tensor x, Tensor y) => new(L.gt(x.Value, y.Value));

    /// <summary>Comparison <c>x ≥ y</c> (a bool result), elementwise: the <c>ge</c> primitive (<c>lax.ge</c>). No promotion:
    /// the operands must share a dtype; shapes must be equal up to rank-0 operands and size-1 dimensions.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <returns>A tensor of the common shape (bool).</returns>
    /// <exception cref="ArgumentException">The dtypes differ, or the shapes are incompatible.</exception>
    public static Tensor Ge(Tensor x, Tensor y) => new(L.ge(x.Value, y.Value));

    /// <summary>Bitwise (for bools, logical) conjunction, <c>x &amp; y</c>, elementwise: the <c>and</c> primitive (<c>lax.bitwise_and</c>). No promotion:
    /// the operands must share a dtype; shapes must be equal up to rank-0 operands and size-1 dimensions.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <returns>A tensor of the common shape and dtype.</returns>
    /// <exception cref="ArgumentException">The dtypes differ or are not bool or integer, or the shapes are incompatible.</exception>
    public static Tensor BitwiseAnd(Tensor x, Tensor y) => new(L.bitwiseAnd(x.Value, y.Value));

    /// <summary>Bitwise (for bools, logical) disjunction, <c>x | y</c>, elementwise: the <c>or</c> primitive (<c>lax.bitwise_or</c>). No promotion:
    /// the operands must share a dtype; shapes must be equal up to rank-0 operands and size-1 dimensions.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand, of <paramref name="x"/>'s dtype.</param>
    /// <returns>A tensor of the common shape and dtype.</returns>
    /// <exception cref="ArgumentException">The dtypes differ or are not bool or integer, or the shapes are incompatible.</exception>
    public static Tensor BitwiseOr(Tensor x, Tensor y) => new(L.bitwiseOr(x.Value, y.Value));
}
