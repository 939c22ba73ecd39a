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

    private static Value[] Vals(params Tensor[] xs) => xs.Select(x => x.Value).ToArray();

    private static Tensor[] Grads(Func<Tensor[], Tensor> f, int[] argnums, Tensor[] args) =>
        Api.grad(
            Interop.Func<Microsoft.FSharp.Collections.FSharpList<Value>, Value>(vs => f(vs.Select(Tensor.Of).ToArray()).Value),
            Interop.List(argnums), Interop.Values(args)).Select(Tensor.Of).ToArray();

    private static (Tensor, Tensor[]) ValueAndGrads(Func<Tensor[], Tensor> f, int[] argnums, Tensor[] args)
    {
        var result = Api.valueAndGrad(
            Interop.Func<Microsoft.FSharp.Collections.FSharpList<Value>, Value>(vs => f(vs.Select(Tensor.Of).ToArray()).Value),
            Interop.List(argnums), Interop.Values(args));
        return (Tensor.Of(result.Item1), result.Item2.Select(Tensor.Of).ToArray());
    }

    /// <summary>The gradient of a scalar function, like <c>jax.grad</c>: reverse mode
    /// (linearize, then transpose).</summary>
    /// <param name="f">A function of one tensor with a scalar float result.</param>
    /// <returns>A function computing ∇f at its argument (same shape and dtype as the argument).</returns>
    /// <exception cref="ArgumentException">f's output is not a float scalar, or the argument is not float.</exception>
    public static Func<Tensor, Tensor> Grad(Func<Tensor, Tensor> f) =>
        x => Grads(a => f(a[0]), [0], [x])[0];

    /// <summary>The gradient of a scalar function of two tensors with respect to argument
    /// <paramref name="argnum"/> (0 by default, as in <c>jax.grad</c>).</summary>
    /// <param name="f">A function of two tensors with a scalar float result.</param>
    /// <param name="argnum">Which argument to differentiate with respect to.</param>
    /// <returns>A function of the same arguments returning ∂f/∂x_argnum.</returns>
    /// <exception cref="ArgumentException">argnum is out of range, or f's output is not a float scalar.</exception>
    public static Func<Tensor, Tensor, Tensor> Grad(Func<Tensor, Tensor, Tensor> f, int argnum = 0) =>
        (x, y) => Grads(a => f(a[0], a[1]), [argnum], [x, y])[0];

    /// <summary>The gradient of a scalar function of three tensors with respect to argument <paramref name="argnum"/>.</summary>
    /// <param name="f">A function of three tensors with a scalar float result.</param>
    /// <param name="argnum">Which argument to differentiate with respect to.</param>
    /// <returns>A function of the same arguments returning ∂f/∂x_argnum.</returns>
    /// <exception cref="ArgumentException">argnum is out of range, or f's output is not a float scalar.</exception>
    public static Func<Tensor, Tensor, Tensor, Tensor> Grad(Func<Tensor, Tensor, Tensor, Tensor> f, int argnum = 0) =>
        (x, y, z) => Grads(a => f(a[0], a[1], a[2]), [argnum], [x, y, z])[0];

    /// <summary>The gradients of a scalar function of two tensors with respect to several arguments.</summary>
    /// <param name="f">A function of two tensors with a scalar float result.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    /// <returns>A function returning one gradient per entry of <paramref name="argnums"/>.</returns>
    /// <exception cref="ArgumentException">An argnum is out of range, or f's output is not a float scalar.</exception>
    public static Func<Tensor, Tensor, Tensor[]> Grad(Func<Tensor, Tensor, Tensor> f, int[] argnums) =>
        (x, y) => Grads(a => f(a[0], a[1]), argnums, [x, y]);

    /// <summary>The value and gradient of a scalar function, like <c>jax.value_and_grad</c>.</summary>
    /// <param name="f">A function of one tensor with a scalar float result.</param>
    /// <returns>A function returning (f(x), ∇f(x)).</returns>
    /// <exception cref="ArgumentException">f's output is not a float scalar, or the argument is not float.</exception>
    public static Func<Tensor, (Tensor Value, Tensor Grad)> ValueAndGrad(Func<Tensor, Tensor> f) =>
        x => { var (v, g) = ValueAndGrads(a => f(a[0]), [0], [x]); return (v, g[0]); };

    /// <summary>The value and gradient of a scalar function of two tensors with respect to argument <paramref name="argnum"/>.</summary>
    /// <param name="f">A function of two tensors with a scalar float result.</param>
    /// <param name="argnum">Which argument to differentiate with respect to.</param>
    /// <returns>A function returning (f(x, y), ∂f/∂x_argnum).</returns>
    /// <exception cref="ArgumentException">argnum is out of range, or f's output is not a float scalar.</exception>
    public static Func<Tensor, Tensor, (Tensor Value, Tensor Grad)> ValueAndGrad(Func<Tensor, Tensor, Tensor> f, int argnum = 0) =>
        (x, y) => { var (v, g) = ValueAndGrads(a => f(a[0], a[1]), [argnum], [x, y]); return (v, g[0]); };

    /// <summary>Forward mode, like <c>jax.jvp</c>: f at the primals and its directional derivative along the tangents.</summary>
    /// <param name="f">A function of one tensor.</param>
    /// <param name="primal">The point.</param>
    /// <param name="tangent">The direction (same shape and dtype as <paramref name="primal"/>).</param>
    /// <returns>(f(primal), ∂f(primal)·tangent).</returns>
    /// <exception cref="ArgumentException">The tangent's shape or dtype differs from the primal's.</exception>
    public static (Tensor Primal, Tensor Tangent) Jvp(Func<Tensor, Tensor> f, Tensor primal, Tensor tangent)
    {
        var r = Api.jvp(
            Interop.Func<Microsoft.FSharp.Collections.FSharpList<Value>, Microsoft.FSharp.Collections.FSharpList<Value>>(vs => Interop.Values([f(Tensor.Of(vs.Head))])),
            Interop.Values([primal]), Interop.Values([tangent]));
        return (Tensor.Of(r.Item1.Head), Tensor.Of(r.Item2.Head));
    }

    /// <summary>Reverse mode, like <c>jax.vjp</c>: f at the primal and its pullback.</summary>
    /// <param name="f">A function of one tensor.</param>
    /// <param name="primal">The point.</param>
    /// <returns>(f(primal), a function from an output cotangent to the input cotangent).</returns>
    /// <exception cref="ArgumentException">A primitive rejects its operands while tracing.</exception>
    public static (Tensor Primal, Func<Tensor, Tensor> Pullback) Vjp(Func<Tensor, Tensor> f, Tensor primal)
    {
        var r = Api.vjp(
            Interop.Func<Microsoft.FSharp.Collections.FSharpList<Value>, Microsoft.FSharp.Collections.FSharpList<Value>>(vs => Interop.Values([f(Tensor.Of(vs.Head))])),
            Interop.Values([primal]));
        var pullback = r.Item2;
        return (Tensor.Of(r.Item1.Head), ct => Tensor.Of(pullback.Invoke(Interop.Values([ct])).Head));
    }
}
