// Jax.CheckGrads: jax.test_util.check_grads, forwarding to the F# core's GradCheck (forward
// mode against central differences, reverse mode by the adjoint identity, recursing for higher
// orders). It runs eagerly and throws on the first discrepancy. The tensor overloads carry
// OverloadResolutionPriority(1) for the reason given in Facade.Ad.cs.
using System.Runtime.CompilerServices;

namespace Cotangent;

/// <summary>The modes <see cref="Jax.CheckGrads(Func{Tensor, Tensor}, Tensor, int, GradCheckModes, int)"/>
/// checks, like <c>modes=("fwd", "rev")</c> in <c>jax.test_util.check_grads</c>; combine with <c>|</c>.</summary>
[Flags]
public enum GradCheckModes
{
    /// <summary>Forward mode: jvp against central finite differences.</summary>
    Fwd = 1,
    /// <summary>Reverse mode: ⟨t, vjp(c)⟩ against ⟨jvp by differences(t), c⟩.</summary>
    Rev = 2,
}

public static partial class Jax
{
    /// <summary>Checks f's derivatives up to <paramref name="order"/> against finite
    /// differences along seeded random directions, like <c>jax.test_util.check_grads</c>.
    /// Tolerances are JAX's (2e-3 for float32, 1e-5 for float64, growing with the square root of
    /// the input size); use float64 inputs for tight checks.</summary>
    /// <param name="f">A function of one float tensor.</param>
    /// <param name="args">The point to check at.</param>
    /// <param name="order">The highest order of derivative to check (1 or more).</param>
    /// <param name="modes">Forward mode, reverse mode, or both (the default).</param>
    /// <param name="seed">Seeds the random directions.</param>
    /// <exception cref="ArgumentException">A derivative disagrees with finite differences (the
    /// message names the order, the mode, the output and element, and both values).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="order"/> is below 1 or
    /// <paramref name="modes"/> has neither mode.</exception>
    [OverloadResolutionPriority(1)]
    public static void CheckGrads(Func<Tensor, Tensor> f, Tensor args, int order, GradCheckModes modes = GradCheckModes.Fwd | GradCheckModes.Rev, int seed = 0) =>
        Transforms.CheckGrads(Fn.Of(f), [args], order, modes, seed);

    /// <inheritdoc cref="CheckGrads(Func{Tensor, Tensor}, Tensor, int, GradCheckModes, int)"/>
    /// <param name="f">A function of two float tensors.</param>
    /// <param name="args">The point to check at, one tensor per argument.</param>
    /// <param name="order">The highest order of derivative to check (1 or more).</param>
    /// <param name="modes">Forward mode, reverse mode, or both (the default).</param>
    /// <param name="seed">Seeds the random directions.</param>
    [OverloadResolutionPriority(1)]
    public static void CheckGrads(Func<Tensor, Tensor, Tensor> f, (Tensor, Tensor) args, int order, GradCheckModes modes = GradCheckModes.Fwd | GradCheckModes.Rev, int seed = 0) =>
        Transforms.CheckGrads(Fn.Of(f), Fn.Items(args), order, modes, seed);

    /// <inheritdoc cref="CheckGrads(Func{Tensor, Tensor}, Tensor, int, GradCheckModes, int)"/>
    /// <param name="f">A function of three float tensors.</param>
    /// <param name="args">The point to check at, one tensor per argument.</param>
    /// <param name="order">The highest order of derivative to check (1 or more).</param>
    /// <param name="modes">Forward mode, reverse mode, or both (the default).</param>
    /// <param name="seed">Seeds the random directions.</param>
    [OverloadResolutionPriority(1)]
    public static void CheckGrads(Func<Tensor, Tensor, Tensor, Tensor> f, (Tensor, Tensor, Tensor) args, int order, GradCheckModes modes = GradCheckModes.Fwd | GradCheckModes.Rev, int seed = 0) =>
        Transforms.CheckGrads(Fn.Of(f), Fn.Items(args), order, modes, seed);

    /// <summary>Checks the derivatives of a function of a pytree (every leaf float), like
    /// <c>jax.test_util.check_grads</c>.</summary>
    /// <typeparam name="T">The argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of one pytree.</param>
    /// <param name="args">The point to check at.</param>
    /// <param name="order">The highest order of derivative to check (1 or more).</param>
    /// <param name="modes">Forward mode, reverse mode, or both (the default).</param>
    /// <param name="seed">Seeds the random directions.</param>
    /// <exception cref="ArgumentException">A derivative disagrees with finite differences, or a
    /// tree is not a pytree.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="order"/> is below 1 or
    /// <paramref name="modes"/> has neither mode.</exception>
    public static void CheckGrads<T, TOut>(Func<T, TOut> f, T args, int order, GradCheckModes modes = GradCheckModes.Fwd | GradCheckModes.Rev, int seed = 0) =>
        Transforms.CheckGrads(Fn.Of(f), [args], order, modes, seed);

    /// <summary>Checks the derivatives of a function of two pytrees, like
    /// <c>jax.test_util.check_grads(f, (x, y), order)</c>.</summary>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of two pytrees.</param>
    /// <param name="args">The point to check at, one tree per argument.</param>
    /// <param name="order">The highest order of derivative to check (1 or more).</param>
    /// <param name="modes">Forward mode, reverse mode, or both (the default).</param>
    /// <param name="seed">Seeds the random directions.</param>
    /// <exception cref="ArgumentException">A derivative disagrees with finite differences, or a
    /// tree is not a pytree.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="order"/> is below 1 or
    /// <paramref name="modes"/> has neither mode.</exception>
    public static void CheckGrads<T1, T2, TOut>(Func<T1, T2, TOut> f, (T1, T2) args, int order, GradCheckModes modes = GradCheckModes.Fwd | GradCheckModes.Rev, int seed = 0) =>
        Transforms.CheckGrads(Fn.Of(f), Fn.Items(args), order, modes, seed);
}
