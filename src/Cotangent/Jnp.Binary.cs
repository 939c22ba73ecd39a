// Jnp: binary elementwise functions (arithmetic, comparisons, logic) and where. Operands are
// broadcast with numpy's rules and promoted with JAX's lattice; C# scalars are weakly typed.
using N = Cotangent.Core.Numpy;

namespace Cotangent;

public static partial class Jnp
{
    /// <summary>Elementwise sum, <c>x + y</c> (<c>jnp.add</c>), with numpy broadcasting and JAX's type promotion.</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns><c>x + y</c>, broadcast, in the promoted dtype.</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast (numpy rules), or an operand is bool.</exception>
    public static Tensor Add(Tensor x, Tensor y) => new(N.add(x.Value, y.Value));

    /// <summary>Elementwise difference, <c>x - y</c> (<c>jnp.subtract</c>).</summary>
    /// <param name="x">Minuend.</param>
    /// <param name="y">Subtrahend.</param>
    /// <returns><c>x - y</c>, broadcast, in the promoted dtype.</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast (numpy rules), or an operand is bool.</exception>
    public static Tensor Subtract(Tensor x, Tensor y) => new(N.subtract(x.Value, y.Value));

    /// <summary>Elementwise product, <c>x · y</c> (<c>jnp.multiply</c>).</summary>
    /// <param name="x">Left factor.</param>
    /// <param name="y">Right factor.</param>
    /// <returns><c>x · y</c>, broadcast, in the promoted dtype.</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast (numpy rules), or an operand is bool.</exception>
    public static Tensor Multiply(Tensor x, Tensor y) => new(N.multiply(x.Value, y.Value));

    /// <summary>Elementwise true division, <c>x / y</c> (<c>jnp.divide</c>): integers and bools are promoted to float32 first, so <c>1 / 2 = 0.5</c>.</summary>
    /// <param name="x">Dividend.</param>
    /// <param name="y">Divisor.</param>
    /// <returns><c>x / y</c>, broadcast, in the promoted inexact dtype.</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast (numpy rules).</exception>
    public static Tensor Divide(Tensor x, Tensor y) => new(N.divide(x.Value, y.Value));

    /// <summary>Elementwise remainder of floored division, <c>x - y · ⌊x / y⌋</c>, with the sign of the
    /// divisor as Python's <c>%</c> (<c>jnp.remainder</c>: <c>remainder(-1, 3) = 2</c>). An integer remainder by
    /// zero is 0, as in JAX. Traced, it stages JAX's jitted
    /// <c>remainder</c> (a <c>pjit</c> equation).</summary>
    /// <param name="x">Dividend.</param>
    /// <param name="y">Divisor.</param>
    /// <returns>The remainder, broadcast, in the promoted dtype, with the sign of <paramref name="y"/> (or zero).</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast (numpy rules), or an operand is bool.</exception>
    public static Tensor Remainder(Tensor x, Tensor y) => new(Composites.Remainder(x.Value, y.Value));

    /// <summary>Elementwise remainder of truncated division, <c>x - y · trunc(x / y)</c>, with the sign of the
    /// dividend as C#'s <c>%</c> (<c>jnp.fmod</c>, the <c>rem</c> primitive: <c>fmod(-1, 3) = -1</c>).</summary>
    /// <param name="x">Dividend.</param>
    /// <param name="y">Divisor.</param>
    /// <returns>The remainder, broadcast, in the promoted dtype, with the sign of <paramref name="x"/> (or zero).</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast (numpy rules), or an operand is bool.</exception>
    public static Tensor Fmod(Tensor x, Tensor y) => new(N.remainder(x.Value, y.Value));

    /// <summary>Elementwise power, <c>x^y</c> (<c>jnp.power</c>). A concrete integer scalar exponent (a C# <c>int</c>) becomes <c>integer_pow</c> and keeps <paramref name="x"/>'s dtype; otherwise both operands are promoted to a float dtype and <c>pow</c> is used.</summary>
    /// <param name="x">Base.</param>
    /// <param name="y">Exponent.</param>
    /// <returns><c>x^y</c>, broadcast.</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast (numpy rules).</exception>
    public static Tensor Power(Tensor x, Tensor y) => new(N.power(x.Value, y.Value));

    /// <summary>Elementwise maximum, <c>max(x, y)</c> (<c>jnp.maximum</c>; NaN propagates).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns><c>max(x, y)</c>, broadcast, in the promoted dtype.</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast (numpy rules).</exception>
    public static Tensor Maximum(Tensor x, Tensor y) => new(N.maximum(x.Value, y.Value));

    /// <summary>Elementwise minimum, <c>min(x, y)</c> (<c>jnp.minimum</c>; NaN propagates).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns><c>min(x, y)</c>, broadcast, in the promoted dtype.</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast (numpy rules).</exception>
    public static Tensor Minimum(Tensor x, Tensor y) => new(N.minimum(x.Value, y.Value));

    /// <summary>Elementwise arctangent of <c>x / y</c> that uses both signs to pick the quadrant, <c>atan2(x, y)</c> in [-π, π] (<c>jnp.arctan2(x1, x2)</c> with <c>x1 = x</c>, <c>x2 = y</c>).</summary>
    /// <param name="x">The ordinate <c>x1</c> (numerator).</param>
    /// <param name="y">The abscissa <c>x2</c> (denominator).</param>
    /// <returns><c>atan2(x, y)</c>, broadcast, as floats.</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast (numpy rules).</exception>
    public static Tensor Arctan2(Tensor x, Tensor y) => new(N.arctan2(x.Value, y.Value));

    /// <summary>Elementwise equality test, <c>x == y</c> (<c>jnp.equal</c>).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns>A bool tensor of the broadcast shape.</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast (numpy rules).</exception>
    public static Tensor Equal(Tensor x, Tensor y) => new(N.equal(x.Value, y.Value));

    /// <summary>Elementwise inequality test, <c>x != y</c> (<c>jnp.not_equal</c>).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns>A bool tensor of the broadcast shape.</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast (numpy rules).</exception>
    public static Tensor NotEqual(Tensor x, Tensor y) => new(N.notEqual(x.Value, y.Value));

    /// <summary>Elementwise comparison <c>x &lt; y</c> (<c>jnp.less</c>).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns>A bool tensor of the broadcast shape.</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast (numpy rules).</exception>
    public static Tensor Less(Tensor x, Tensor y) => new(N.less(x.Value, y.Value));

    /// <summary>Elementwise comparison <c>x ≤ y</c> (<c>jnp.less_equal</c>).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns>A bool tensor of the broadcast shape.</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast (numpy rules).</exception>
    public static Tensor LessEqual(Tensor x, Tensor y) => new(N.lessEqual(x.Value, y.Value));

    /// <summary>Elementwise comparison <c>x &gt; y</c> (<c>jnp.greater</c>).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns>A bool tensor of the broadcast shape.</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast (numpy rules).</exception>
    public static Tensor Greater(Tensor x, Tensor y) => new(N.greater(x.Value, y.Value));

    /// <summary>Elementwise comparison <c>x ≥ y</c> (<c>jnp.greater_equal</c>).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns>A bool tensor of the broadcast shape.</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast (numpy rules).</exception>
    public static Tensor GreaterEqual(Tensor x, Tensor y) => new(N.greaterEqual(x.Value, y.Value));

    /// <summary>Elementwise conjunction, <c>x ∧ y</c> (<c>jnp.logical_and</c> on bools; the <c>and</c> primitive, bitwise on integers).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns><c>x ∧ y</c>, broadcast, in the promoted dtype.</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast (numpy rules), or an operand is a float.</exception>
    public static Tensor LogicalAnd(Tensor x, Tensor y) => new(N.logicalAnd(x.Value, y.Value));

    /// <summary>Elementwise disjunction, <c>x ∨ y</c> (<c>jnp.logical_or</c> on bools; the <c>or</c> primitive, bitwise on integers).</summary>
    /// <param name="x">Left operand.</param>
    /// <param name="y">Right operand.</param>
    /// <returns><c>x ∨ y</c>, broadcast, in the promoted dtype.</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast (numpy rules), or an operand is a float.</exception>
    public static Tensor LogicalOr(Tensor x, Tensor y) => new(N.logicalOr(x.Value, y.Value));

    /// <summary>Elementwise choice, <c>condition ? x : y</c> (<c>jnp.where</c> with three
    /// arguments): all three are broadcast together and <paramref name="x"/>, <paramref name="y"/>
    /// promoted to a common dtype. A non-bool condition counts as <c>condition != 0</c>. Traced,
    /// it stages JAX's jitted <c>_where</c> (a <c>pjit</c> equation).</summary>
    /// <param name="condition">Where true, take <paramref name="x"/>.</param>
    /// <param name="x">Values where <paramref name="condition"/> holds.</param>
    /// <param name="y">Values elsewhere.</param>
    /// <returns>A tensor of the broadcast shape and promoted dtype.</returns>
    /// <exception cref="ArgumentException">The three shapes do not broadcast.</exception>
    public static Tensor Where(Tensor condition, Tensor x, Tensor y) => new(N.where(condition.Value, x.Value, y.Value));
}
