// Jax.Jit: jax.jit over functions of 1-4 tensors. The result calls like the function (Invoke,
// or an implicit conversion to its delegate type) and composes with every transformation both
// ways: Jax.Grad(Jax.Jit(f)) differentiates the pjit, Jax.Jit(Jax.Grad(f)) stages the gradient.
namespace Cotangent;

public static partial class Jax
{
    /// <summary>Compiles <paramref name="f"/> like <c>jax.jit</c>: the first call with a new
    /// signature (shapes, dtypes, weak types) traces it into a jaxpr; every call applies that
    /// jaxpr as one <c>pjit</c> equation, which grad, jvp and vmap transform as a whole.</summary>
    /// <param name="f">A function of one tensor. It must not branch on its argument's values
    /// (use <see cref="Jnp.Where(Tensor, Tensor, Tensor)"/>).</param>
    /// <returns>The jitted function; call it with <c>Invoke</c> or pass it where a
    /// <c>Func&lt;Tensor, Tensor&gt;</c> is expected.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static JitFunction1 Jit(Func<Tensor, Tensor> f) => new(f, null);

    /// <inheritdoc cref="Jit(Func{Tensor, Tensor})"/>
    /// <param name="f">A function of two tensors. It must not branch on its arguments' values.</param>
    /// <returns>The jitted function; call it with <c>Invoke</c> or pass it where a
    /// <c>Func&lt;Tensor, Tensor, Tensor&gt;</c> is expected.</returns>
    public static JitFunction2 Jit(Func<Tensor, Tensor, Tensor> f) => new(f, null);

    /// <inheritdoc cref="Jit(Func{Tensor, Tensor})"/>
    /// <param name="f">A function of three tensors. It must not branch on its arguments' values.</param>
    /// <returns>The jitted function; call it with <c>Invoke</c> or pass it where a
    /// <c>Func&lt;Tensor, Tensor, Tensor, Tensor&gt;</c> is expected.</returns>
    public static JitFunction3 Jit(Func<Tensor, Tensor, Tensor, Tensor> f) => new(f, null);

    /// <inheritdoc cref="Jit(Func{Tensor, Tensor})"/>
    /// <param name="f">A function of four tensors. It must not branch on its arguments' values.</param>
    /// <returns>The jitted function; call it with <c>Invoke</c> or pass it where a
    /// <c>Func&lt;Tensor, Tensor, Tensor, Tensor, Tensor&gt;</c> is expected.</returns>
    public static JitFunction4 Jit(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f) => new(f, null);

    /// <summary>Compiles <paramref name="f"/> like <see cref="Jit(Func{Tensor, Tensor})"/>, with
    /// <paramref name="options"/>: the pass pipeline, IR dumps around passes and reports (see
    /// <see cref="JitOptions"/>), applied after <c>COTANGENT_FLAGS</c>.</summary>
    /// <param name="f">A function of one tensor. It must not branch on its argument's values.</param>
    /// <param name="options">How to compile, e.g.
    /// <c>new JitOptions { PrintIrAfterAll = true, Output = Console.Out }</c>.</param>
    /// <returns>The jitted function.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> or <paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The options' flags are malformed or unknown (a
    /// <see cref="Core.CotangentException"/> naming the flag); unknown pass names are reported
    /// when the function is first compiled.</exception>
    public static JitFunction1 Jit(Func<Tensor, Tensor> f, JitOptions options) => new(f, NotNull(options));

    /// <inheritdoc cref="Jit(Func{Tensor, Tensor}, JitOptions)"/>
    /// <param name="f">A function of two tensors. It must not branch on its arguments' values.</param>
    /// <param name="options">How to compile (see <see cref="JitOptions"/>).</param>
    public static JitFunction2 Jit(Func<Tensor, Tensor, Tensor> f, JitOptions options) => new(f, NotNull(options));

    /// <inheritdoc cref="Jit(Func{Tensor, Tensor}, JitOptions)"/>
    /// <param name="f">A function of three tensors. It must not branch on its arguments' values.</param>
    /// <param name="options">How to compile (see <see cref="JitOptions"/>).</param>
    public static JitFunction3 Jit(Func<Tensor, Tensor, Tensor, Tensor> f, JitOptions options) => new(f, NotNull(options));

    /// <inheritdoc cref="Jit(Func{Tensor, Tensor}, JitOptions)"/>
    /// <param name="f">A function of four tensors. It must not branch on its arguments' values.</param>
    /// <param name="options">How to compile (see <see cref="JitOptions"/>).</param>
    public static JitFunction4 Jit(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f, JitOptions options) => new(f, NotNull(options));

    private static JitOptions NotNull(JitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options;
    }
}
