// Jax.Jvp, Jax.Vjp, Jax.Linearize, Jax.LinearTranspose: forward mode, reverse mode, the linear
// map of the derivative, and the transpose of a linear function (jax.jvp, jax.vjp,
// jax.linearize, jax.linear_transpose), over tensors and pytrees. Primals of functions of
// several arguments are passed as JAX passes them: a tuple for jvp, separate arguments for the
// others; pullbacks return a tuple of one cotangent per argument. The tensor overloads carry
// OverloadResolutionPriority(1): given float literals as primals (Jvp(F, (1f, 2f), ...)), C#
// would otherwise pick the generic overload at T = float and then fail to convert F.
using System.Runtime.CompilerServices;

namespace Cotangent;

public static partial class Jax
{
    private static (TOut Primal, TOut Tangent) JvpOf<TOut>(Func<object?[], object?> f, object?[] primals, object?[] tangents)
    {
        var (o, t) = Transforms.Jvp(f, primals, tangents);
        return (Pytree.As<TOut>(o), Pytree.As<TOut>(t));
    }

    private static (TOut Primal, Func<TOut, TCt> Pullback) VjpOf<TOut, TCt>(Func<object?[], object?> f, object?[] primals, Func<object?[], TCt> cts)
    {
        var (o, pullback) = Transforms.Vjp(f, primals);
        return (Pytree.As<TOut>(o), ct => cts(pullback(ct)));
    }

    private static (TOut Primal, TJvp Jvp) LinearizeOf<TOut, TJvp>(Func<object?[], object?> f, object?[] primals, Func<Func<object?[], object?>, TJvp> jvp)
    {
        var (o, lin) = Transforms.Linearize(f, primals);
        return (Pytree.As<TOut>(o), jvp(lin));
    }

    private static Func<TOut, TCt> TransposeOf<TOut, TCt>(Func<object?[], object?> f, object?[] primals, Func<object?[], TCt> cts)
    {
        var transpose = Transforms.LinearTranspose(f, primals);
        return ct => cts(transpose(ct));
    }

    private static (T1, T2) Two<T1, T2>(object?[] a) => (Pytree.As<T1>(a[0]), Pytree.As<T2>(a[1]));

    private static (T1, T2, T3) Three<T1, T2, T3>(object?[] a) => (Pytree.As<T1>(a[0]), Pytree.As<T2>(a[1]), Pytree.As<T3>(a[2]));

    private static (T1, T2, T3, T4) Four<T1, T2, T3, T4>(object?[] a) =>
        (Pytree.As<T1>(a[0]), Pytree.As<T2>(a[1]), Pytree.As<T3>(a[2]), Pytree.As<T4>(a[3]));

    // ---- Jvp ----------------------------------------------------------------------------------

    /// <summary>Forward mode, like <c>jax.jvp</c>: f at the primals and its directional derivative along the tangents.</summary>
    /// <param name="f">A function of one tensor.</param>
    /// <param name="primal">The point.</param>
    /// <param name="tangent">The direction (same shape and dtype as <paramref name="primal"/>).</param>
    /// <returns>(f(primal), ∂f(primal)·tangent).</returns>
    /// <exception cref="ArgumentException">The tangent's shape or dtype differs from the primal's.</exception>
    [OverloadResolutionPriority(1)]
    public static (Tensor Primal, Tensor Tangent) Jvp(Func<Tensor, Tensor> f, Tensor primal, Tensor tangent) =>
        JvpOf<Tensor>(Fn.Of(f), [primal], [tangent]);

    /// <summary>Forward mode for a function of two tensors, like <c>jax.jvp(f, (x, y), (tx, ty))</c>.</summary>
    /// <param name="f">A function of two tensors.</param>
    /// <param name="primals">The point, one tensor per argument.</param>
    /// <param name="tangents">The direction, one tensor per argument (each of its primal's shape and dtype).</param>
    /// <returns>(f(primals), the derivative of f at primals applied to tangents).</returns>
    /// <exception cref="ArgumentException">A tangent's shape or dtype differs from its primal's.</exception>
    [OverloadResolutionPriority(1)]
    public static (Tensor Primal, Tensor Tangent) Jvp(Func<Tensor, Tensor, Tensor> f, (Tensor, Tensor) primals, (Tensor, Tensor) tangents) =>
        JvpOf<Tensor>(Fn.Of(f), Fn.Items(primals), Fn.Items(tangents));

    /// <inheritdoc cref="Jvp(Func{Tensor, Tensor, Tensor}, ValueTuple{Tensor, Tensor}, ValueTuple{Tensor, Tensor})"/>
    /// <param name="f">A function of three tensors.</param>
    /// <param name="primals">The point, one tensor per argument.</param>
    /// <param name="tangents">The direction, one tensor per argument (each of its primal's shape and dtype).</param>
    [OverloadResolutionPriority(1)]
    public static (Tensor Primal, Tensor Tangent) Jvp(Func<Tensor, Tensor, Tensor, Tensor> f, (Tensor, Tensor, Tensor) primals, (Tensor, Tensor, Tensor) tangents) =>
        JvpOf<Tensor>(Fn.Of(f), Fn.Items(primals), Fn.Items(tangents));

    /// <inheritdoc cref="Jvp(Func{Tensor, Tensor, Tensor}, ValueTuple{Tensor, Tensor}, ValueTuple{Tensor, Tensor})"/>
    /// <param name="f">A function of four tensors.</param>
    /// <param name="primals">The point, one tensor per argument.</param>
    /// <param name="tangents">The direction, one tensor per argument (each of its primal's shape and dtype).</param>
    [OverloadResolutionPriority(1)]
    public static (Tensor Primal, Tensor Tangent) Jvp(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f, (Tensor, Tensor, Tensor, Tensor) primals, (Tensor, Tensor, Tensor, Tensor) tangents) =>
        JvpOf<Tensor>(Fn.Of(f), Fn.Items(primals), Fn.Items(tangents));

    /// <summary>Forward mode on pytrees, like <c>jax.jvp</c>: the tangent is a tree of the
    /// primal's structure, and so is the output tangent of the output's.</summary>
    /// <typeparam name="T">The argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of one pytree.</param>
    /// <param name="primal">The point.</param>
    /// <param name="tangent">The direction: the primal's structure, each leaf of its primal's shape and dtype.</param>
    /// <returns>(f(primal), the derivative of f at primal applied to tangent).</returns>
    /// <exception cref="ArgumentException">The tangent's structure differs from the primal's
    /// (the message shows both), a leaf's shape or dtype differs, or a tree is not a pytree.</exception>
    public static (TOut Primal, TOut Tangent) Jvp<T, TOut>(Func<T, TOut> f, T primal, T tangent) =>
        JvpOf<TOut>(Fn.Of(f), [primal], [tangent]);

    /// <summary>Forward mode for a function of two pytrees, like <c>jax.jvp(f, (x, y), (tx, ty))</c>.</summary>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of two pytrees.</param>
    /// <param name="primals">The point, one tree per argument.</param>
    /// <param name="tangents">The direction, one tree per argument of its primal's structure.</param>
    /// <returns>(f(primals), the derivative of f at primals applied to tangents).</returns>
    /// <exception cref="ArgumentException">A tangent's structure differs from its primal's, a
    /// leaf's shape or dtype differs, or a tree is not a pytree.</exception>
    public static (TOut Primal, TOut Tangent) Jvp<T1, T2, TOut>(Func<T1, T2, TOut> f, (T1, T2) primals, (T1, T2) tangents) =>
        JvpOf<TOut>(Fn.Of(f), Fn.Items(primals), Fn.Items(tangents));

    /// <inheritdoc cref="Jvp{T1, T2, TOut}(Func{T1, T2, TOut}, ValueTuple{T1, T2}, ValueTuple{T1, T2})"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of three pytrees.</param>
    /// <param name="primals">The point, one tree per argument.</param>
    /// <param name="tangents">The direction, one tree per argument of its primal's structure.</param>
    public static (TOut Primal, TOut Tangent) Jvp<T1, T2, T3, TOut>(Func<T1, T2, T3, TOut> f, (T1, T2, T3) primals, (T1, T2, T3) tangents) =>
        JvpOf<TOut>(Fn.Of(f), Fn.Items(primals), Fn.Items(tangents));

    /// <inheritdoc cref="Jvp{T1, T2, TOut}(Func{T1, T2, TOut}, ValueTuple{T1, T2}, ValueTuple{T1, T2})"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <typeparam name="T4">The fourth argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of four pytrees.</param>
    /// <param name="primals">The point, one tree per argument.</param>
    /// <param name="tangents">The direction, one tree per argument of its primal's structure.</param>
    public static (TOut Primal, TOut Tangent) Jvp<T1, T2, T3, T4, TOut>(Func<T1, T2, T3, T4, TOut> f, (T1, T2, T3, T4) primals, (T1, T2, T3, T4) tangents) =>
        JvpOf<TOut>(Fn.Of(f), Fn.Items(primals), Fn.Items(tangents));

    // ---- Vjp ----------------------------------------------------------------------------------

    /// <summary>Reverse mode, like <c>jax.vjp</c>: f at the primal and its pullback.</summary>
    /// <param name="f">A function of one tensor.</param>
    /// <param name="primal">The point.</param>
    /// <returns>(f(primal), a function from an output cotangent to the input cotangent).</returns>
    /// <exception cref="ArgumentException">A primitive rejects its operands while tracing; the
    /// pullback throws it for a cotangent whose shape or dtype differs from the output's.</exception>
    [OverloadResolutionPriority(1)]
    public static (Tensor Primal, Func<Tensor, Tensor> Pullback) Vjp(Func<Tensor, Tensor> f, Tensor primal) =>
        VjpOf<Tensor, Tensor>(Fn.Of(f), [primal], cts => (Tensor)cts[0]!);

    /// <summary>Reverse mode for a function of two tensors, like <c>jax.vjp(f, x, y)</c>.</summary>
    /// <param name="f">A function of two tensors.</param>
    /// <param name="x">The first argument.</param>
    /// <param name="y">The second argument.</param>
    /// <returns>(f(x, y), a function from an output cotangent to the arguments' cotangents).</returns>
    /// <exception cref="ArgumentException">A primitive rejects its operands while tracing; the
    /// pullback throws it for a cotangent whose shape or dtype differs from the output's.</exception>
    [OverloadResolutionPriority(1)]
    public static (Tensor Primal, Func<Tensor, (Tensor, Tensor)> Pullback) Vjp(Func<Tensor, Tensor, Tensor> f, Tensor x, Tensor y) =>
        VjpOf<Tensor, (Tensor, Tensor)>(Fn.Of(f), [x, y], Two<Tensor, Tensor>);

    /// <inheritdoc cref="Vjp(Func{Tensor, Tensor, Tensor}, Tensor, Tensor)"/>
    /// <param name="f">A function of three tensors.</param>
    /// <param name="x">The first argument.</param>
    /// <param name="y">The second argument.</param>
    /// <param name="z">The third argument.</param>
    [OverloadResolutionPriority(1)]
    public static (Tensor Primal, Func<Tensor, (Tensor, Tensor, Tensor)> Pullback) Vjp(Func<Tensor, Tensor, Tensor, Tensor> f, Tensor x, Tensor y, Tensor z) =>
        VjpOf<Tensor, (Tensor, Tensor, Tensor)>(Fn.Of(f), [x, y, z], Three<Tensor, Tensor, Tensor>);

    /// <inheritdoc cref="Vjp(Func{Tensor, Tensor, Tensor, Tensor}, Tensor, Tensor, Tensor)"/>
    /// <param name="f">A function of four tensors.</param>
    /// <param name="x">The first argument.</param>
    /// <param name="y">The second argument.</param>
    /// <param name="z">The third argument.</param>
    /// <param name="w">The fourth argument.</param>
    [OverloadResolutionPriority(1)]
    public static (Tensor Primal, Func<Tensor, (Tensor, Tensor, Tensor, Tensor)> Pullback) Vjp(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f, Tensor x, Tensor y, Tensor z, Tensor w) =>
        VjpOf<Tensor, (Tensor, Tensor, Tensor, Tensor)>(Fn.Of(f), [x, y, z, w], Four<Tensor, Tensor, Tensor, Tensor>);

    /// <summary>Reverse mode on pytrees, like <c>jax.vjp</c>: the pullback takes a cotangent of
    /// the output's structure and returns one of the argument's.</summary>
    /// <typeparam name="T">The argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of one pytree.</param>
    /// <param name="primal">The point.</param>
    /// <returns>(f(primal), the pullback).</returns>
    /// <exception cref="ArgumentException">A tree is not a pytree, or a primitive rejects its
    /// operands; the pullback throws it for a cotangent whose structure differs from the
    /// output's (the message shows both) or whose leaves' shapes or dtypes differ.</exception>
    public static (TOut Primal, Func<TOut, T> Pullback) Vjp<T, TOut>(Func<T, TOut> f, T primal) =>
        VjpOf<TOut, T>(Fn.Of(f), [primal], cts => Pytree.As<T>(cts[0]));

    /// <summary>Reverse mode for a function of two pytrees, like <c>jax.vjp(f, x, y)</c>.</summary>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of two pytrees.</param>
    /// <param name="x">The first argument.</param>
    /// <param name="y">The second argument.</param>
    /// <returns>(f(x, y), the pullback from an output cotangent to the arguments' cotangents).</returns>
    /// <exception cref="ArgumentException">A tree is not a pytree, or a primitive rejects its
    /// operands; the pullback throws it for a cotangent whose structure or leaves differ from
    /// the output's.</exception>
    public static (TOut Primal, Func<TOut, (T1, T2)> Pullback) Vjp<T1, T2, TOut>(Func<T1, T2, TOut> f, T1 x, T2 y) =>
        VjpOf<TOut, (T1, T2)>(Fn.Of(f), [x, y], Two<T1, T2>);

    /// <inheritdoc cref="Vjp{T1, T2, TOut}(Func{T1, T2, TOut}, T1, T2)"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of three pytrees.</param>
    /// <param name="x">The first argument.</param>
    /// <param name="y">The second argument.</param>
    /// <param name="z">The third argument.</param>
    public static (TOut Primal, Func<TOut, (T1, T2, T3)> Pullback) Vjp<T1, T2, T3, TOut>(Func<T1, T2, T3, TOut> f, T1 x, T2 y, T3 z) =>
        VjpOf<TOut, (T1, T2, T3)>(Fn.Of(f), [x, y, z], Three<T1, T2, T3>);

    /// <inheritdoc cref="Vjp{T1, T2, T3, TOut}(Func{T1, T2, T3, TOut}, T1, T2, T3)"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <typeparam name="T4">The fourth argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of four pytrees.</param>
    /// <param name="x">The first argument.</param>
    /// <param name="y">The second argument.</param>
    /// <param name="z">The third argument.</param>
    /// <param name="w">The fourth argument.</param>
    public static (TOut Primal, Func<TOut, (T1, T2, T3, T4)> Pullback) Vjp<T1, T2, T3, T4, TOut>(Func<T1, T2, T3, T4, TOut> f, T1 x, T2 y, T3 z, T4 w) =>
        VjpOf<TOut, (T1, T2, T3, T4)>(Fn.Of(f), [x, y, z, w], Four<T1, T2, T3, T4>);

    // ---- Linearize ----------------------------------------------------------------------------

    /// <summary>f at the primal and the linear map of its derivative there, like
    /// <c>jax.linearize</c>: the map evaluates the linearized program (the primal is not
    /// recomputed), and equals <c>Jvp(f, primal, t).Tangent</c> for every t.</summary>
    /// <param name="f">A function of one tensor.</param>
    /// <param name="primal">The point.</param>
    /// <returns>(f(primal), the linear function t ↦ ∂f(primal)·t).</returns>
    /// <exception cref="ArgumentException">A primitive rejects its operands while tracing; the
    /// linear function throws it for a tangent whose shape or dtype differs from the primal's.</exception>
    [OverloadResolutionPriority(1)]
    public static (Tensor Primal, Func<Tensor, Tensor> Jvp) Linearize(Func<Tensor, Tensor> f, Tensor primal) =>
        LinearizeOf<Tensor, Func<Tensor, Tensor>>(Fn.Of(f), [primal], lin => t => (Tensor)lin([t])!);

    /// <summary>f at the primals and the linear map of its derivative there, for a function of
    /// two tensors, like <c>jax.linearize(f, x, y)</c>.</summary>
    /// <param name="f">A function of two tensors.</param>
    /// <param name="x">The first argument.</param>
    /// <param name="y">The second argument.</param>
    /// <returns>(f(x, y), the linear function of one tangent per argument).</returns>
    /// <exception cref="ArgumentException">A primitive rejects its operands while tracing; the
    /// linear function throws it for a tangent whose shape or dtype differs from its primal's.</exception>
    [OverloadResolutionPriority(1)]
    public static (Tensor Primal, Func<Tensor, Tensor, Tensor> Jvp) Linearize(Func<Tensor, Tensor, Tensor> f, Tensor x, Tensor y) =>
        LinearizeOf<Tensor, Func<Tensor, Tensor, Tensor>>(Fn.Of(f), [x, y], lin => (tx, ty) => (Tensor)lin([tx, ty])!);

    /// <inheritdoc cref="Linearize(Func{Tensor, Tensor, Tensor}, Tensor, Tensor)"/>
    /// <param name="f">A function of three tensors.</param>
    /// <param name="x">The first argument.</param>
    /// <param name="y">The second argument.</param>
    /// <param name="z">The third argument.</param>
    [OverloadResolutionPriority(1)]
    public static (Tensor Primal, Func<Tensor, Tensor, Tensor, Tensor> Jvp) Linearize(Func<Tensor, Tensor, Tensor, Tensor> f, Tensor x, Tensor y, Tensor z) =>
        LinearizeOf<Tensor, Func<Tensor, Tensor, Tensor, Tensor>>(Fn.Of(f), [x, y, z], lin => (tx, ty, tz) => (Tensor)lin([tx, ty, tz])!);

    /// <inheritdoc cref="Linearize(Func{Tensor, Tensor, Tensor, Tensor}, Tensor, Tensor, Tensor)"/>
    /// <param name="f">A function of four tensors.</param>
    /// <param name="x">The first argument.</param>
    /// <param name="y">The second argument.</param>
    /// <param name="z">The third argument.</param>
    /// <param name="w">The fourth argument.</param>
    [OverloadResolutionPriority(1)]
    public static (Tensor Primal, Func<Tensor, Tensor, Tensor, Tensor, Tensor> Jvp) Linearize(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f, Tensor x, Tensor y, Tensor z, Tensor w) =>
        LinearizeOf<Tensor, Func<Tensor, Tensor, Tensor, Tensor, Tensor>>(Fn.Of(f), [x, y, z, w], lin => (tx, ty, tz, tw) => (Tensor)lin([tx, ty, tz, tw])!);

    /// <summary>f at a pytree primal and the linear map of its derivative there, like
    /// <c>jax.linearize</c>: the map takes a tangent of the primal's structure and returns one
    /// of the output's.</summary>
    /// <typeparam name="T">The argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of one pytree.</param>
    /// <param name="primal">The point.</param>
    /// <returns>(f(primal), the linear function).</returns>
    /// <exception cref="ArgumentException">A tree is not a pytree, or a primitive rejects its
    /// operands; the linear function throws it for a tangent whose structure, shapes or dtypes
    /// differ from the primal's.</exception>
    public static (TOut Primal, Func<T, TOut> Jvp) Linearize<T, TOut>(Func<T, TOut> f, T primal) =>
        LinearizeOf<TOut, Func<T, TOut>>(Fn.Of(f), [primal], lin => t => Pytree.As<TOut>(lin([t])));

    /// <summary>f at the primals and the linear map of its derivative there, for a function of
    /// two pytrees, like <c>jax.linearize(f, x, y)</c>.</summary>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of two pytrees.</param>
    /// <param name="x">The first argument.</param>
    /// <param name="y">The second argument.</param>
    /// <returns>(f(x, y), the linear function of one tangent tree per argument).</returns>
    /// <exception cref="ArgumentException">A tree is not a pytree, or a primitive rejects its
    /// operands; the linear function throws it for a tangent whose structure, shapes or dtypes
    /// differ from its primal's.</exception>
    public static (TOut Primal, Func<T1, T2, TOut> Jvp) Linearize<T1, T2, TOut>(Func<T1, T2, TOut> f, T1 x, T2 y) =>
        LinearizeOf<TOut, Func<T1, T2, TOut>>(Fn.Of(f), [x, y], lin => (tx, ty) => Pytree.As<TOut>(lin([tx, ty])));

    /// <inheritdoc cref="Linearize{T1, T2, TOut}(Func{T1, T2, TOut}, T1, T2)"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of three pytrees.</param>
    /// <param name="x">The first argument.</param>
    /// <param name="y">The second argument.</param>
    /// <param name="z">The third argument.</param>
    public static (TOut Primal, Func<T1, T2, T3, TOut> Jvp) Linearize<T1, T2, T3, TOut>(Func<T1, T2, T3, TOut> f, T1 x, T2 y, T3 z) =>
        LinearizeOf<TOut, Func<T1, T2, T3, TOut>>(Fn.Of(f), [x, y, z], lin => (tx, ty, tz) => Pytree.As<TOut>(lin([tx, ty, tz])));

    // ---- LinearTranspose ----------------------------------------------------------------------

    /// <summary>The transpose of a linear function, like <c>jax.linear_transpose</c>: for linear
    /// f, the function ct ↦ fᵀ(ct) with ⟨f(t), ct⟩ = ⟨t, fᵀ(ct)⟩. Only the primal's shape and
    /// dtype matter. Linearity is the caller's promise: f is transposed as its linearization at
    /// zero, so an affine f loses its offset and a non-linear f gives its derivative's transpose
    /// at zero.</summary>
    /// <param name="f">A linear function of one tensor with a float result.</param>
    /// <param name="primal">An example argument (its shape and dtype).</param>
    /// <returns>The transpose, from an output cotangent to an input cotangent.</returns>
    /// <exception cref="ArgumentException">The input or output is not float, or a primitive
    /// rejects its operands; the transpose throws it for a cotangent whose shape or dtype
    /// differs from f's output.</exception>
    [OverloadResolutionPriority(1)]
    public static Func<Tensor, Tensor> LinearTranspose(Func<Tensor, Tensor> f, Tensor primal) =>
        TransposeOf<Tensor, Tensor>(Fn.Of(f), [primal], cts => (Tensor)cts[0]!);

    /// <summary>The transpose of a function linear in both of its tensor arguments jointly, like
    /// <c>jax.linear_transpose(f, x, y)</c>.</summary>
    /// <param name="f">A linear function of two tensors with a float result.</param>
    /// <param name="x">An example first argument (its shape and dtype).</param>
    /// <param name="y">An example second argument.</param>
    /// <returns>The transpose, from an output cotangent to the two arguments' cotangents.</returns>
    /// <exception cref="ArgumentException">An input or the output is not float, or a primitive
    /// rejects its operands; the transpose throws it for a cotangent whose shape or dtype
    /// differs from f's output.</exception>
    [OverloadResolutionPriority(1)]
    public static Func<Tensor, (Tensor, Tensor)> LinearTranspose(Func<Tensor, Tensor, Tensor> f, Tensor x, Tensor y) =>
        TransposeOf<Tensor, (Tensor, Tensor)>(Fn.Of(f), [x, y], Two<Tensor, Tensor>);

    /// <summary>The transpose of a linear function of a pytree, like <c>jax.linear_transpose</c>:
    /// it takes a cotangent of the output's structure and returns one of the argument's.</summary>
    /// <typeparam name="T">The argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A linear function of one pytree with float leaves.</param>
    /// <param name="primal">An example argument (its structure, shapes and dtypes).</param>
    /// <returns>The transpose.</returns>
    /// <exception cref="ArgumentException">A leaf is not float, a tree is not a pytree, or a
    /// primitive rejects its operands; the transpose throws it for a cotangent whose structure,
    /// shapes or dtypes differ from f's output.</exception>
    public static Func<TOut, T> LinearTranspose<T, TOut>(Func<T, TOut> f, T primal) =>
        TransposeOf<TOut, T>(Fn.Of(f), [primal], cts => Pytree.As<T>(cts[0]));

    /// <summary>The transpose of a function of two pytrees, linear in both jointly, like
    /// <c>jax.linear_transpose(f, x, y)</c>.</summary>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A linear function of two pytrees with float leaves.</param>
    /// <param name="x">An example first argument.</param>
    /// <param name="y">An example second argument.</param>
    /// <returns>The transpose, from an output cotangent to the two arguments' cotangents.</returns>
    /// <exception cref="ArgumentException">A leaf is not float, a tree is not a pytree, or a
    /// primitive rejects its operands; the transpose throws it for a cotangent whose structure,
    /// shapes or dtypes differ from f's output.</exception>
    public static Func<TOut, (T1, T2)> LinearTranspose<T1, T2, TOut>(Func<T1, T2, TOut> f, T1 x, T2 y) =>
        TransposeOf<TOut, (T1, T2)>(Fn.Of(f), [x, y], Two<T1, T2>);
}
