// Jax: JAX's transformations over C# functions of tensors and of pytrees of tensors, split by
// category: make_jaxpr here; Facade.Grad.cs (grad, value_and_grad), Facade.Ad.cs (jvp, vjp,
// linearize, linear_transpose), Facade.Jacobians.cs (jacfwd, jacrev, hessian), Facade.Vmap.cs,
// Facade.CheckGrads.cs. Members are forwarders into Transforms, which flattens pytrees and
// calls the F# core's Api (Vmap's tensor overloads call Api.vmap directly). Each transformation has exact-arity overloads for functions of 1-4
// tensors, so that method groups bind (Jax.Grad(F)), and generic overloads for functions of
// 1-4 pytrees (Tensor[], IReadOnlyList<Tensor>, value tuples, dictionaries with string keys,
// nested); a transformed function has the arity of f.
namespace Cotangent;

/// <summary>JAX's composable function transformations over C# functions of tensors and of
/// pytrees of tensors (nested value tuples, arrays, lists and dictionaries with string keys;
/// see <see cref="Tree"/>).</summary>
public static partial class Jax
{
    /// <summary>Traces <paramref name="f"/> at its arguments' shapes and dtypes and returns its
    /// jaxpr, like <c>jax.make_jaxpr</c>.</summary>
    /// <param name="f">A function of one tensor.</param>
    /// <returns>A function from example arguments (only their shapes, dtypes and weak types matter) to the jaxpr.</returns>
    /// <exception cref="ArgumentException">A primitive rejects its operands while tracing (the message names it, the shapes and the call site).</exception>
    public static Func<Tensor, ClosedJaxpr> MakeJaxpr(Func<Tensor, Tensor> f) =>
        x => Transforms.MakeJaxpr(Fn.Of(f), [x]);

    /// <inheritdoc cref="MakeJaxpr(Func{Tensor, Tensor})"/>
    /// <param name="f">A function of two tensors.</param>
    public static Func<Tensor, Tensor, ClosedJaxpr> MakeJaxpr(Func<Tensor, Tensor, Tensor> f) =>
        (x, y) => Transforms.MakeJaxpr(Fn.Of(f), [x, y]);

    /// <inheritdoc cref="MakeJaxpr(Func{Tensor, Tensor})"/>
    /// <param name="f">A function of three tensors.</param>
    public static Func<Tensor, Tensor, Tensor, ClosedJaxpr> MakeJaxpr(Func<Tensor, Tensor, Tensor, Tensor> f) =>
        (x, y, z) => Transforms.MakeJaxpr(Fn.Of(f), [x, y, z]);

    /// <inheritdoc cref="MakeJaxpr(Func{Tensor, Tensor})"/>
    /// <param name="f">A function of four tensors.</param>
    public static Func<Tensor, Tensor, Tensor, Tensor, ClosedJaxpr> MakeJaxpr(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f) =>
        (x, y, z, w) => Transforms.MakeJaxpr(Fn.Of(f), [x, y, z, w]);

    /// <summary>Traces a function of several tensors with several results, like <c>jax.make_jaxpr</c>.</summary>
    /// <param name="f">A function from an array of tensors to an array of tensors.</param>
    /// <returns>A function from example arguments to the jaxpr.</returns>
    /// <exception cref="ArgumentException">A primitive rejects its operands while tracing.</exception>
    public static Func<Tensor[], ClosedJaxpr> MakeJaxpr(Func<Tensor[], Tensor[]> f) =>
        args => Transforms.MakeJaxpr(Fn.Of(f), [args]);

    /// <summary>Traces a function of a pytree, like <c>jax.make_jaxpr</c>: the jaxpr's inputs
    /// and outputs are the leaves, flattened as JAX flattens them (dictionaries by sorted key).</summary>
    /// <typeparam name="T">The argument's pytree type, e.g. <c>IReadOnlyList&lt;Tensor&gt;</c>.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of one pytree.</param>
    /// <returns>A function from an example argument to the jaxpr.</returns>
    /// <exception cref="ArgumentException">An argument or the result is not a pytree, or a
    /// primitive rejects its operands while tracing.</exception>
    public static Func<T, ClosedJaxpr> MakeJaxpr<T, TOut>(Func<T, TOut> f) =>
        x => Transforms.MakeJaxpr(Fn.Of(f), [x]);

    /// <inheritdoc cref="MakeJaxpr{T, TOut}(Func{T, TOut})"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of two pytrees.</param>
    public static Func<T1, T2, ClosedJaxpr> MakeJaxpr<T1, T2, TOut>(Func<T1, T2, TOut> f) =>
        (x, y) => Transforms.MakeJaxpr(Fn.Of(f), [x, y]);

    /// <inheritdoc cref="MakeJaxpr{T, TOut}(Func{T, TOut})"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of three pytrees.</param>
    public static Func<T1, T2, T3, ClosedJaxpr> MakeJaxpr<T1, T2, T3, TOut>(Func<T1, T2, T3, TOut> f) =>
        (x, y, z) => Transforms.MakeJaxpr(Fn.Of(f), [x, y, z]);

    /// <inheritdoc cref="MakeJaxpr{T, TOut}(Func{T, TOut})"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <typeparam name="T4">The fourth argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of four pytrees.</param>
    public static Func<T1, T2, T3, T4, ClosedJaxpr> MakeJaxpr<T1, T2, T3, T4, TOut>(Func<T1, T2, T3, T4, TOut> f) =>
        (x, y, z, w) => Transforms.MakeJaxpr(Fn.Of(f), [x, y, z, w]);
}
