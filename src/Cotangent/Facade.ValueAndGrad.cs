// Jax.ValueAndGrad: jax.value_and_grad, with the overloads of Jax.Grad (Facade.Grad.cs): f's
// value comes with the gradients, and with hasAux as ((value, aux), gradients), as in JAX.
namespace Cotangent;

public static partial class Jax
{
    /// <summary>The value and gradient of a scalar function, like <c>jax.value_and_grad</c>.</summary>
    /// <param name="f">A function of one tensor with a scalar float result.</param>
    /// <returns>A function returning (f(x), ∇f(x)).</returns>
    /// <exception cref="ArgumentException">f's output is not a float scalar, or the argument is not float.</exception>
    public static Func<Tensor, (Tensor Value, Tensor Grad)> ValueAndGrad(Func<Tensor, Tensor> f) =>
        x => ValueGradOf<Tensor>(Fn.Of(f), [x], 0);

    /// <summary>The value and gradient of a scalar function of two tensors with respect to
    /// argument <paramref name="argnums"/>, like <c>jax.value_and_grad</c>.</summary>
    /// <param name="f">A function of two tensors with a scalar float result.</param>
    /// <param name="argnums">Which argument to differentiate with respect to; negative counts from the end.</param>
    /// <returns>A function returning (f(x, y), ∂f/∂x_argnums).</returns>
    /// <exception cref="ArgumentException">argnums is out of range, the argument is not float,
    /// or f's output is not a float scalar.</exception>
    public static Func<Tensor, Tensor, (Tensor Value, Tensor Grad)> ValueAndGrad(Func<Tensor, Tensor, Tensor> f, int argnums = 0) =>
        (x, y) => ValueGradOf<Tensor>(Fn.Of(f), [x, y], argnums);

    /// <inheritdoc cref="ValueAndGrad(Func{Tensor, Tensor, Tensor}, int)"/>
    /// <param name="f">A function of three tensors with a scalar float result.</param>
    /// <param name="argnums">Which argument to differentiate with respect to; negative counts from the end.</param>
    public static Func<Tensor, Tensor, Tensor, (Tensor Value, Tensor Grad)> ValueAndGrad(Func<Tensor, Tensor, Tensor, Tensor> f, int argnums = 0) =>
        (x, y, z) => ValueGradOf<Tensor>(Fn.Of(f), [x, y, z], argnums);

    /// <inheritdoc cref="ValueAndGrad(Func{Tensor, Tensor, Tensor}, int)"/>
    /// <param name="f">A function of four tensors with a scalar float result.</param>
    /// <param name="argnums">Which argument to differentiate with respect to; negative counts from the end.</param>
    public static Func<Tensor, Tensor, Tensor, Tensor, (Tensor Value, Tensor Grad)> ValueAndGrad(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f, int argnums = 0) =>
        (x, y, z, w) => ValueGradOf<Tensor>(Fn.Of(f), [x, y, z, w], argnums);

    /// <summary>The value and the gradients of a scalar function of two tensors with respect to
    /// several arguments.</summary>
    /// <param name="f">A function of two tensors with a scalar float result.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    /// <returns>A function returning (f(x, y), one gradient per entry of <paramref name="argnums"/>).</returns>
    /// <exception cref="ArgumentException">An argnum is out of range, an argument is not float,
    /// or f's output is not a float scalar.</exception>
    public static Func<Tensor, Tensor, (Tensor Value, Tensor[] Grads)> ValueAndGrad(Func<Tensor, Tensor, Tensor> f, int[] argnums) =>
        (x, y) => ValueTensorGrads(Fn.Of(f), [x, y], argnums);

    /// <inheritdoc cref="ValueAndGrad(Func{Tensor, Tensor, Tensor}, int[])"/>
    /// <param name="f">A function of three tensors with a scalar float result.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    public static Func<Tensor, Tensor, Tensor, (Tensor Value, Tensor[] Grads)> ValueAndGrad(Func<Tensor, Tensor, Tensor, Tensor> f, int[] argnums) =>
        (x, y, z) => ValueTensorGrads(Fn.Of(f), [x, y, z], argnums);

    /// <inheritdoc cref="ValueAndGrad(Func{Tensor, Tensor, Tensor}, int[])"/>
    /// <param name="f">A function of four tensors with a scalar float result.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    public static Func<Tensor, Tensor, Tensor, Tensor, (Tensor Value, Tensor[] Grads)> ValueAndGrad(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f, int[] argnums) =>
        (x, y, z, w) => ValueTensorGrads(Fn.Of(f), [x, y, z, w], argnums);

    /// <summary>The value and gradient of a scalar function of a pytree, like
    /// <c>jax.value_and_grad</c>; the gradient has the argument's structure and type.</summary>
    /// <typeparam name="T">The argument's pytree type.</typeparam>
    /// <param name="f">A function of one pytree with a scalar float result.</param>
    /// <returns>A function returning (f(x), ∇f(x)).</returns>
    /// <exception cref="ArgumentException">f's output is not a float scalar, a leaf of the
    /// argument is not float, or the argument is not a pytree.</exception>
    public static Func<T, (Tensor Value, T Grad)> ValueAndGrad<T>(Func<T, Tensor> f) =>
        x => ValueGradOf<T>(Fn.Of(f), [x], 0);

    /// <summary>The value and gradient with respect to the first argument of a scalar function
    /// of two pytrees, like <c>jax.value_and_grad</c>: a training step's loss and parameter gradients.</summary>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <param name="f">A function of two pytrees with a scalar float result.</param>
    /// <returns>A function returning (f(x1, x2), ∂f/∂x1).</returns>
    /// <exception cref="ArgumentException">f's output is not a float scalar, a leaf of the
    /// first argument is not float, or an argument is not a pytree.</exception>
    public static Func<T1, T2, (Tensor Value, T1 Grad)> ValueAndGrad<T1, T2>(Func<T1, T2, Tensor> f) =>
        (x, y) => ValueGradOf<T1>(Fn.Of(f), [x, y], 0);

    /// <inheritdoc cref="ValueAndGrad{T1, T2}(Func{T1, T2, Tensor})"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <param name="f">A function of three pytrees with a scalar float result.</param>
    public static Func<T1, T2, T3, (Tensor Value, T1 Grad)> ValueAndGrad<T1, T2, T3>(Func<T1, T2, T3, Tensor> f) =>
        (x, y, z) => ValueGradOf<T1>(Fn.Of(f), [x, y, z], 0);

    /// <inheritdoc cref="ValueAndGrad{T1, T2}(Func{T1, T2, Tensor})"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <typeparam name="T4">The fourth argument's pytree type.</typeparam>
    /// <param name="f">A function of four pytrees with a scalar float result.</param>
    public static Func<T1, T2, T3, T4, (Tensor Value, T1 Grad)> ValueAndGrad<T1, T2, T3, T4>(Func<T1, T2, T3, T4, Tensor> f) =>
        (x, y, z, w) => ValueGradOf<T1>(Fn.Of(f), [x, y, z, w], 0);

    /// <summary>The value and the gradient with respect to argument <paramref name="argnums"/>
    /// of a scalar function of two pytrees; the gradient is a tree of that argument's
    /// structure, typed <see cref="object"/>.</summary>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <param name="f">A function of two pytrees with a scalar float result.</param>
    /// <param name="argnums">Which argument to differentiate with respect to; negative counts from the end.</param>
    /// <returns>A function returning (f(x1, x2), ∂f/∂x_argnums).</returns>
    /// <exception cref="ArgumentException">argnums is out of range, a leaf of that argument is
    /// not float, f's output is not a float scalar, or an argument is not a pytree.</exception>
    public static Func<T1, T2, (Tensor Value, object? Grad)> ValueAndGrad<T1, T2>(Func<T1, T2, Tensor> f, int argnums) =>
        (x, y) => ValueGradOf<object?>(Fn.Of(f), [x, y], argnums);

    /// <inheritdoc cref="ValueAndGrad{T1, T2}(Func{T1, T2, Tensor}, int)"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <param name="f">A function of three pytrees with a scalar float result.</param>
    /// <param name="argnums">Which argument to differentiate with respect to; negative counts from the end.</param>
    public static Func<T1, T2, T3, (Tensor Value, object? Grad)> ValueAndGrad<T1, T2, T3>(Func<T1, T2, T3, Tensor> f, int argnums) =>
        (x, y, z) => ValueGradOf<object?>(Fn.Of(f), [x, y, z], argnums);

    /// <summary>The value and the gradients with respect to several arguments of a scalar
    /// function of two pytrees, like <c>jax.value_and_grad(f, argnums=(0, 1))</c>.</summary>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <param name="f">A function of two pytrees with a scalar float result.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    /// <returns>A function returning (f(x1, x2), one gradient tree per entry of <paramref name="argnums"/>).</returns>
    /// <exception cref="ArgumentException">An argnum is out of range, a differentiated leaf is
    /// not float, f's output is not a float scalar, or an argument is not a pytree.</exception>
    public static Func<T1, T2, (Tensor Value, object?[] Grads)> ValueAndGrad<T1, T2>(Func<T1, T2, Tensor> f, int[] argnums) =>
        (x, y) => ValueGradsOf(Fn.Of(f), [x, y], argnums);

    /// <inheritdoc cref="ValueAndGrad{T1, T2}(Func{T1, T2, Tensor}, int[])"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <param name="f">A function of three pytrees with a scalar float result.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    public static Func<T1, T2, T3, (Tensor Value, object?[] Grads)> ValueAndGrad<T1, T2, T3>(Func<T1, T2, T3, Tensor> f, int[] argnums) =>
        (x, y, z) => ValueGradsOf(Fn.Of(f), [x, y, z], argnums);

    /// <summary>The value, auxiliary data and gradient of a function returning (a scalar, aux),
    /// like <c>jax.value_and_grad(f, has_aux=True)</c>.</summary>
    /// <typeparam name="T">The argument's type: a tensor or a pytree.</typeparam>
    /// <typeparam name="TAux">The auxiliary data's pytree type.</typeparam>
    /// <param name="f">A function returning (a scalar float, aux).</param>
    /// <param name="hasAux">True (false differentiates f's whole result, which fails as it is not a scalar).</param>
    /// <returns>A function returning ((f's value, aux), ∇f).</returns>
    /// <exception cref="ArgumentException">f's value is not a float scalar, a leaf of the
    /// argument is not float, or a tree is not a pytree.</exception>
    public static Func<T, ((Tensor Value, TAux Aux), T Grad)> ValueAndGrad<T, TAux>(Func<T, (Tensor, TAux)> f, bool hasAux) =>
        x => ValueGradAux<T, TAux>(Fn.Of(f), [x], 0, hasAux);

    /// <summary>The value, auxiliary data and gradient with respect to the first argument of a
    /// function of two arguments returning (a scalar, aux), like
    /// <c>jax.value_and_grad(f, has_aux=True)</c>.</summary>
    /// <typeparam name="T1">The first argument's type: a tensor or a pytree.</typeparam>
    /// <typeparam name="T2">The second argument's type.</typeparam>
    /// <typeparam name="TAux">The auxiliary data's pytree type.</typeparam>
    /// <param name="f">A function returning (a scalar float, aux).</param>
    /// <param name="hasAux">True (false differentiates f's whole result, which fails).</param>
    /// <returns>A function returning ((f's value, aux), ∂f/∂x1).</returns>
    /// <exception cref="ArgumentException">f's value is not a float scalar, a leaf of the
    /// first argument is not float, or a tree is not a pytree.</exception>
    public static Func<T1, T2, ((Tensor Value, TAux Aux), T1 Grad)> ValueAndGrad<T1, T2, TAux>(Func<T1, T2, (Tensor, TAux)> f, bool hasAux) =>
        (x, y) => ValueGradAux<T1, TAux>(Fn.Of(f), [x, y], 0, hasAux);

    /// <inheritdoc cref="ValueAndGrad{T1, T2, TAux}(Func{T1, T2, ValueTuple{Tensor, TAux}}, bool)"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's type.</typeparam>
    /// <typeparam name="TAux">The auxiliary data's pytree type.</typeparam>
    /// <param name="f">A function of three pytrees with a scalar float result.</param>
    /// <param name="hasAux">True (false differentiates f's whole result, which fails).</param>
    public static Func<T1, T2, T3, ((Tensor Value, TAux Aux), T1 Grad)> ValueAndGrad<T1, T2, T3, TAux>(Func<T1, T2, T3, (Tensor, TAux)> f, bool hasAux) =>
        (x, y, z) => ValueGradAux<T1, TAux>(Fn.Of(f), [x, y, z], 0, hasAux);

    /// <summary>The value, auxiliary data and gradients with respect to several arguments of a
    /// function of two arguments returning (a scalar, aux).</summary>
    /// <typeparam name="T1">The first argument's type: a tensor or a pytree.</typeparam>
    /// <typeparam name="T2">The second argument's type.</typeparam>
    /// <typeparam name="TAux">The auxiliary data's pytree type.</typeparam>
    /// <param name="f">A function returning (a scalar float, aux).</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    /// <param name="hasAux">True (false differentiates f's whole result, which fails).</param>
    /// <returns>A function returning ((f's value, aux), one gradient tree per entry of <paramref name="argnums"/>).</returns>
    /// <exception cref="ArgumentException">An argnum is out of range, f's value is not a float
    /// scalar, a differentiated leaf is not float, or a tree is not a pytree.</exception>
    public static Func<T1, T2, ((Tensor Value, TAux Aux), object?[] Grads)> ValueAndGrad<T1, T2, TAux>(Func<T1, T2, (Tensor, TAux)> f, int[] argnums, bool hasAux) =>
        (x, y) => ValueGradsAux<TAux>(Fn.Of(f), [x, y], argnums, hasAux);
}
