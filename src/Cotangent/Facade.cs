// Jax: the transformations users call (make_jaxpr now; grad, vmap, jit as they land), each a
// one-line forwarder into the F# core's Api. Functions of 1–4 tensors are supported directly.
using Cotangent.Core;
using Value = Cotangent.Core.Tracing.Value;

namespace Cotangent;

/// <summary>JAX's composable function transformations over C# functions of tensors.</summary>
public static partial class Jax
{
    private static ClosedJaxpr Trace(Func<Tensor[], Tensor[]> f, params Tensor[] args) =>
        new(Api.makeJaxpr(
            Interop.Func<Microsoft.FSharp.Collections.FSharpList<Value>, Microsoft.FSharp.Collections.FSharpList<Value>>(vs => Interop.Values(f(vs.Select(Tensor.Of).ToArray()))),
            Interop.Values(args)));

    /// <summary>Traces <paramref name="f"/> at its arguments' shapes and dtypes and returns its
    /// jaxpr, like <c>jax.make_jaxpr</c>.</summary>
    /// <param name="f">A function of one tensor.</param>
    /// <returns>A function from example arguments (only their shapes, dtypes and weak types matter) to the jaxpr.</returns>
    /// <exception cref="ArgumentException">A primitive rejects its operands while tracing (the message names it, the shapes and the call site).</exception>
    public static Func<Tensor, ClosedJaxpr> MakeJaxpr(Func<Tensor, Tensor> f) =>
        x => Trace(a => [f(a[0])], x);

    /// <inheritdoc cref="MakeJaxpr(Func{Tensor, Tensor})"/>
    /// <param name="f">A function of two tensors.</param>
    public static Func<Tensor, Tensor, ClosedJaxpr> MakeJaxpr(Func<Tensor, Tensor, Tensor> f) =>
        (x, y) => Trace(a => [f(a[0], a[1])], x, y);

    /// <inheritdoc cref="MakeJaxpr(Func{Tensor, Tensor})"/>
    /// <param name="f">A function of three tensors.</param>
    public static Func<Tensor, Tensor, Tensor, ClosedJaxpr> MakeJaxpr(Func<Tensor, Tensor, Tensor, Tensor> f) =>
        (x, y, z) => Trace(a => [f(a[0], a[1], a[2])], x, y, z);

    /// <inheritdoc cref="MakeJaxpr(Func{Tensor, Tensor})"/>
    /// <param name="f">A function of four tensors.</param>
    public static Func<Tensor, Tensor, Tensor, Tensor, ClosedJaxpr> MakeJaxpr(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f) =>
        (x, y, z, w) => Trace(a => [f(a[0], a[1], a[2], a[3])], x, y, z, w);

    /// <summary>Traces a function of several tensors with several results, like <c>jax.make_jaxpr</c>.</summary>
    /// <param name="f">A function from an array of tensors to an array of tensors.</param>
    /// <returns>A function from example arguments to the jaxpr.</returns>
    /// <exception cref="ArgumentException">A primitive rejects its operands while tracing.</exception>
    public static Func<Tensor[], ClosedJaxpr> MakeJaxpr(Func<Tensor[], Tensor[]> f) =>
        args => Trace(f, args);
}
