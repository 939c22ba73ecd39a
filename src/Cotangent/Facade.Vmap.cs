// Jax.Vmap: jax.vmap over C# functions of tensors (forwarders into the F# core's Api.vmap) and
// of pytrees (through Transforms.Vmap). An axis is an int? (null: the argument is not mapped,
// or the output is the same for every example); negative axes count from the end, as in numpy.
// A pytree argument's axis applies to all of its leaves, and outAxes to every output leaf, as
// JAX's integer in_axes and out_axes do.
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using Cotangent.Core;
using Value = Cotangent.Core.Tracing.Value;

namespace Cotangent;

public static partial class Jax
{
    private static FSharpList<FSharpOption<int>?> VmapAxes(IEnumerable<int?> axes) =>
        Interop.List(axes.Select(a => a is int k ? FSharpOption<int>.Some(k) : null));

    private static Tensor[] Batched(Func<Tensor[], Tensor[]> f, int?[] inAxes, int?[] outAxes, Tensor[] args) =>
        Api.vmap(
            Interop.Func<FSharpList<Value>, FSharpList<Value>>(vs => Interop.Values(f(vs.Select(Tensor.Of).ToArray()))),
            VmapAxes(inAxes), VmapAxes(outAxes), Interop.Values(args)).Select(Tensor.Of).ToArray();

    /// <summary>Vectorizes <paramref name="f"/> over an axis of its argument, like <c>jax.vmap</c>:
    /// <c>Vmap(f)(xs)</c> equals applying <paramref name="f"/> to each slice
    /// <c>xs[..., i, ...]</c> along <paramref name="inAxes"/> and stacking the results along
    /// <paramref name="outAxes"/>, but runs as one batched program (no loop over the batch).</summary>
    /// <param name="f">A function of one tensor.</param>
    /// <param name="inAxes">The argument's mapped axis (negative counts from the end).</param>
    /// <param name="outAxes">Where the mapped axis goes in the result; <c>null</c> only for a
    /// result that does not depend on the mapped argument.</param>
    /// <returns>The vectorized function.</returns>
    /// <exception cref="ArgumentException">An axis is out of range for its tensor's rank, no
    /// argument is mapped, a result that depends on the mapped axis has <c>outAxes</c> null, or a
    /// primitive inside <paramref name="f"/> cannot be batched (dynamic slicing at per-example
    /// indices); the message names the argument, its shape and the axis.</exception>
    public static Func<Tensor, Tensor> Vmap(Func<Tensor, Tensor> f, int? inAxes = 0, int? outAxes = 0) =>
        x => Batched(a => [f(a[0])], [inAxes], [outAxes], [x])[0];

    /// <summary>Vectorizes a function of two tensors, mapping both along the same axis (JAX's
    /// integer <c>in_axes</c>).</summary>
    /// <param name="f">A function of two tensors.</param>
    /// <param name="inAxes">The mapped axis of every argument; <c>null</c> maps none, which is an error.</param>
    /// <param name="outAxes">Where the mapped axis goes in the result.</param>
    /// <returns>The vectorized function.</returns>
    /// <exception cref="ArgumentException">An axis is out of range, the mapped axes have
    /// different sizes (the message names each argument, its shape and axis), or <paramref name="f"/>
    /// cannot be batched.</exception>
    public static Func<Tensor, Tensor, Tensor> Vmap(Func<Tensor, Tensor, Tensor> f, int? inAxes = 0, int? outAxes = 0) =>
        Vmap(f, [inAxes, inAxes], outAxes);

    /// <summary>Vectorizes a function of two tensors with an axis (or <c>null</c>, not mapped)
    /// per argument, like <c>jax.vmap(f, in_axes=(0, None))</c>.</summary>
    /// <param name="f">A function of two tensors.</param>
    /// <param name="inAxes">One axis or <c>null</c> per argument; at least one must be an axis.</param>
    /// <param name="outAxes">Where the mapped axis goes in the result.</param>
    /// <returns>The vectorized function; unmapped arguments are shared by every example.</returns>
    /// <exception cref="ArgumentException"><paramref name="inAxes"/> does not have 2 entries, an
    /// axis is out of range, the mapped axes have different sizes, or <paramref name="f"/> cannot
    /// be batched.</exception>
    public static Func<Tensor, Tensor, Tensor> Vmap(Func<Tensor, Tensor, Tensor> f, int?[] inAxes, int? outAxes = 0) =>
        (x, y) => Batched(a => [f(a[0], a[1])], inAxes, [outAxes], [x, y])[0];

    /// <summary>Vectorizes a function of three tensors, mapping all along the same axis.</summary>
    /// <param name="f">A function of three tensors.</param>
    /// <param name="inAxes">The mapped axis of every argument.</param>
    /// <param name="outAxes">Where the mapped axis goes in the result.</param>
    /// <returns>The vectorized function.</returns>
    /// <exception cref="ArgumentException">An axis is out of range, the mapped axes have
    /// different sizes, or <paramref name="f"/> cannot be batched.</exception>
    public static Func<Tensor, Tensor, Tensor, Tensor> Vmap(Func<Tensor, Tensor, Tensor, Tensor> f, int? inAxes = 0, int? outAxes = 0) =>
        Vmap(f, [inAxes, inAxes, inAxes], outAxes);

    /// <summary>Vectorizes a function of three tensors with an axis (or <c>null</c>) per argument.</summary>
    /// <param name="f">A function of three tensors.</param>
    /// <param name="inAxes">One axis or <c>null</c> per argument; at least one must be an axis.</param>
    /// <param name="outAxes">Where the mapped axis goes in the result.</param>
    /// <returns>The vectorized function.</returns>
    /// <exception cref="ArgumentException"><paramref name="inAxes"/> does not have 3 entries, an
    /// axis is out of range, the mapped axes have different sizes, or <paramref name="f"/> cannot
    /// be batched.</exception>
    public static Func<Tensor, Tensor, Tensor, Tensor> Vmap(Func<Tensor, Tensor, Tensor, Tensor> f, int?[] inAxes, int? outAxes = 0) =>
        (x, y, z) => Batched(a => [f(a[0], a[1], a[2])], inAxes, [outAxes], [x, y, z])[0];

    /// <summary>Vectorizes a function of several tensors with several results.</summary>
    /// <param name="f">A function from an array of tensors to an array of tensors.</param>
    /// <param name="inAxes">One axis or <c>null</c> per argument; at least one must be an axis.</param>
    /// <param name="outAxes">One axis per result (<c>null</c> for a result that does not depend on
    /// a mapped argument).</param>
    /// <returns>The vectorized function.</returns>
    /// <exception cref="ArgumentException">The axis arrays do not match the arguments or results,
    /// an axis is out of range, the mapped axes have different sizes, or <paramref name="f"/>
    /// cannot be batched.</exception>
    public static Func<Tensor[], Tensor[]> Vmap(Func<Tensor[], Tensor[]> f, int?[] inAxes, int?[] outAxes) =>
        args => Batched(f, inAxes, outAxes, args);

    /// <summary>Vectorizes a function of four tensors, mapping all along the same axis.</summary>
    /// <param name="f">A function of four tensors.</param>
    /// <param name="inAxes">The mapped axis of every argument.</param>
    /// <param name="outAxes">Where the mapped axis goes in the result.</param>
    /// <returns>The vectorized function.</returns>
    /// <exception cref="ArgumentException">An axis is out of range, the mapped axes have
    /// different sizes, or <paramref name="f"/> cannot be batched.</exception>
    public static Func<Tensor, Tensor, Tensor, Tensor, Tensor> Vmap(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f, int? inAxes = 0, int? outAxes = 0) =>
        Vmap(f, [inAxes, inAxes, inAxes, inAxes], outAxes);

    /// <summary>Vectorizes a function of four tensors with an axis (or <c>null</c>) per argument.</summary>
    /// <param name="f">A function of four tensors.</param>
    /// <param name="inAxes">One axis or <c>null</c> per argument; at least one must be an axis.</param>
    /// <param name="outAxes">Where the mapped axis goes in the result.</param>
    /// <returns>The vectorized function.</returns>
    /// <exception cref="ArgumentException"><paramref name="inAxes"/> does not have 4 entries, an
    /// axis is out of range, the mapped axes have different sizes, or <paramref name="f"/> cannot
    /// be batched.</exception>
    public static Func<Tensor, Tensor, Tensor, Tensor, Tensor> Vmap(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f, int?[] inAxes, int? outAxes = 0) =>
        (x, y, z, w) => Batched(a => [f(a[0], a[1], a[2], a[3])], inAxes, [outAxes], [x, y, z, w])[0];

    // ---- functions of pytrees -----------------------------------------------------------------

    /// <summary>Vectorizes a function of a pytree, like <c>jax.vmap</c>: every leaf of the
    /// argument is mapped along <paramref name="inAxes"/>, and every leaf of the result is
    /// stacked along <paramref name="outAxes"/>; the result keeps its structure and type.</summary>
    /// <typeparam name="T">The argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of one pytree.</param>
    /// <param name="inAxes">The mapped axis of every leaf of the argument.</param>
    /// <param name="outAxes">Where the mapped axis goes in every leaf of the result.</param>
    /// <returns>The vectorized function.</returns>
    /// <exception cref="ArgumentException">An axis is out of range for a leaf, the leaves'
    /// mapped axes have different sizes (the messages name each leaf by its path, shape and
    /// axis), a tree is not a pytree, or <paramref name="f"/> cannot be batched.</exception>
    public static Func<T, TOut> Vmap<T, TOut>(Func<T, TOut> f, int? inAxes = 0, int? outAxes = 0) =>
        x => Pytree.As<TOut>(Transforms.Vmap(Fn.Of(f), [x], [inAxes], outAxes));

    /// <summary>Vectorizes a function of two pytrees, mapping every leaf of both along the same axis.</summary>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of two pytrees.</param>
    /// <param name="inAxes">The mapped axis of every leaf.</param>
    /// <param name="outAxes">Where the mapped axis goes in every leaf of the result.</param>
    /// <returns>The vectorized function.</returns>
    /// <exception cref="ArgumentException">An axis is out of range for a leaf, the mapped axes
    /// have different sizes, a tree is not a pytree, or <paramref name="f"/> cannot be batched.</exception>
    public static Func<T1, T2, TOut> Vmap<T1, T2, TOut>(Func<T1, T2, TOut> f, int? inAxes = 0, int? outAxes = 0) =>
        Vmap(f, [inAxes, inAxes], outAxes);

    /// <summary>Vectorizes a function of two pytrees with an axis (or <c>null</c>, not mapped)
    /// per argument, shared by the argument's leaves, like <c>jax.vmap(f, in_axes=(None, 0))</c>:
    /// per-example gradients are <c>Vmap(Grad(loss), [null, 0, 0])</c>.</summary>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of two pytrees.</param>
    /// <param name="inAxes">One axis or <c>null</c> per argument; at least one leaf must be mapped.</param>
    /// <param name="outAxes">Where the mapped axis goes in every leaf of the result.</param>
    /// <returns>The vectorized function; unmapped arguments are shared by every example.</returns>
    /// <exception cref="ArgumentException"><paramref name="inAxes"/> does not have one entry per
    /// argument, an axis is out of range for a leaf, the mapped axes have different sizes, a tree
    /// is not a pytree, or <paramref name="f"/> cannot be batched.</exception>
    public static Func<T1, T2, TOut> Vmap<T1, T2, TOut>(Func<T1, T2, TOut> f, int?[] inAxes, int? outAxes = 0) =>
        (x, y) => Pytree.As<TOut>(Transforms.Vmap(Fn.Of(f), [x, y], inAxes, outAxes));

    /// <inheritdoc cref="Vmap{T1, T2, TOut}(Func{T1, T2, TOut}, int?, int?)"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of three pytrees.</param>
    /// <param name="inAxes">The mapped axis of every leaf.</param>
    /// <param name="outAxes">Where the mapped axis goes in every leaf of the result.</param>
    public static Func<T1, T2, T3, TOut> Vmap<T1, T2, T3, TOut>(Func<T1, T2, T3, TOut> f, int? inAxes = 0, int? outAxes = 0) =>
        Vmap(f, [inAxes, inAxes, inAxes], outAxes);

    /// <inheritdoc cref="Vmap{T1, T2, TOut}(Func{T1, T2, TOut}, int?[], int?)"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of three pytrees.</param>
    /// <param name="inAxes">The mapped axis of every leaf.</param>
    /// <param name="outAxes">Where the mapped axis goes in every leaf of the result.</param>
    public static Func<T1, T2, T3, TOut> Vmap<T1, T2, T3, TOut>(Func<T1, T2, T3, TOut> f, int?[] inAxes, int? outAxes = 0) =>
        (x, y, z) => Pytree.As<TOut>(Transforms.Vmap(Fn.Of(f), [x, y, z], inAxes, outAxes));

    /// <inheritdoc cref="Vmap{T1, T2, TOut}(Func{T1, T2, TOut}, int?, int?)"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <typeparam name="T4">The fourth argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of four pytrees.</param>
    /// <param name="inAxes">The mapped axis of every leaf.</param>
    /// <param name="outAxes">Where the mapped axis goes in every leaf of the result.</param>
    public static Func<T1, T2, T3, T4, TOut> Vmap<T1, T2, T3, T4, TOut>(Func<T1, T2, T3, T4, TOut> f, int? inAxes = 0, int? outAxes = 0) =>
        Vmap(f, [inAxes, inAxes, inAxes, inAxes], outAxes);

    /// <inheritdoc cref="Vmap{T1, T2, TOut}(Func{T1, T2, TOut}, int?[], int?)"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <typeparam name="T4">The fourth argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of four pytrees.</param>
    /// <param name="inAxes">The mapped axis of every leaf.</param>
    /// <param name="outAxes">Where the mapped axis goes in every leaf of the result.</param>
    public static Func<T1, T2, T3, T4, TOut> Vmap<T1, T2, T3, T4, TOut>(Func<T1, T2, T3, T4, TOut> f, int?[] inAxes, int? outAxes = 0) =>
        (x, y, z, w) => Pytree.As<TOut>(Transforms.Vmap(Fn.Of(f), [x, y, z, w], inAxes, outAxes));
}
