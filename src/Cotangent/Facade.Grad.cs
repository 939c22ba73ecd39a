// Jax.Grad and Jax.ValueAndGrad: jax.grad and jax.value_and_grad with argnums (an int, whose
// gradient has that argument's type, or an int[], giving one gradient per entry) and hasAux
// (f returns (value, aux); aux comes back undifferentiated). Overloads of exact arity take
// plain tensor functions and method groups; generic ones take pytree arguments, whose
// gradients have the same structure (and, for argnums 0, the same type).
namespace Cotangent;

public static partial class Jax
{
    private static (Tensor Value, object? Aux, object?[] Grads) Vg(Func<object?[], object?> f, object?[] args, int[] argnums, bool hasAux = false) =>
        Transforms.ValueAndGrad(f, args, argnums, hasAux);

    private static TGrad GradOf<TGrad>(Func<object?[], object?> f, object?[] args, int argnums) =>
        Pytree.As<TGrad>(Vg(f, args, [argnums]).Grads[0]);

    private static object?[] GradsOf(Func<object?[], object?> f, object?[] args, int[] argnums) => Vg(f, args, argnums).Grads;

    private static (TGrad Grad, TAux Aux) GradAux<TGrad, TAux>(Func<object?[], object?> f, object?[] args, int argnums, bool hasAux)
    {
        var r = Vg(f, args, [argnums], hasAux);
        return (Pytree.As<TGrad>(r.Grads[0]), Pytree.As<TAux>(r.Aux));
    }

    private static (object?[] Grads, TAux Aux) GradsAux<TAux>(Func<object?[], object?> f, object?[] args, int[] argnums, bool hasAux)
    {
        var r = Vg(f, args, argnums, hasAux);
        return (r.Grads, Pytree.As<TAux>(r.Aux));
    }

    private static (Tensor Value, TGrad Grad) ValueGradOf<TGrad>(Func<object?[], object?> f, object?[] args, int argnums)
    {
        var r = Vg(f, args, [argnums]);
        return (r.Value, Pytree.As<TGrad>(r.Grads[0]));
    }

    private static (Tensor Value, object?[] Grads) ValueGradsOf(Func<object?[], object?> f, object?[] args, int[] argnums)
    {
        var r = Vg(f, args, argnums);
        return (r.Value, r.Grads);
    }

    private static (Tensor Value, Tensor[] Grads) ValueTensorGrads(Func<object?[], object?> f, object?[] args, int[] argnums)
    {
        var r = Vg(f, args, argnums);
        return (r.Value, Fn.Tensors(r.Grads));
    }

    private static ((Tensor Value, TAux Aux), TGrad Grad) ValueGradAux<TGrad, TAux>(Func<object?[], object?> f, object?[] args, int argnums, bool hasAux)
    {
        var r = Vg(f, args, [argnums], hasAux);
        return ((r.Value, Pytree.As<TAux>(r.Aux)), Pytree.As<TGrad>(r.Grads[0]));
    }

    private static ((Tensor Value, TAux Aux), object?[] Grads) ValueGradsAux<TAux>(Func<object?[], object?> f, object?[] args, int[] argnums, bool hasAux)
    {
        var r = Vg(f, args, argnums, hasAux);
        return ((r.Value, Pytree.As<TAux>(r.Aux)), r.Grads);
    }

    // ---- Grad: functions of tensors -----------------------------------------------------------

    /// <summary>The gradient of a scalar function, like <c>jax.grad</c>: reverse mode
    /// (linearize, then transpose).</summary>
    /// <param name="f">A function of one tensor with a scalar float result.</param>
    /// <returns>A function computing ∇f at its argument (same shape and dtype as the argument).</returns>
    /// <exception cref="ArgumentException">f's output is not a float scalar, or the argument is
    /// not float (raised when the returned function is called).</exception>
    public static Func<Tensor, Tensor> Grad(Func<Tensor, Tensor> f) =>
        x => GradOf<Tensor>(Fn.Of(f), [x], 0);

    /// <summary>The gradient of a scalar function of two tensors with respect to argument
    /// <paramref name="argnums"/> (0 by default, as in <c>jax.grad</c>).</summary>
    /// <param name="f">A function of two tensors with a scalar float result.</param>
    /// <param name="argnums">Which argument to differentiate with respect to; negative counts from the end.</param>
    /// <returns>A function of the same arguments returning ∂f/∂x_argnums.</returns>
    /// <exception cref="ArgumentException">argnums is out of range, the argument is not float,
    /// or f's output is not a float scalar (raised when the returned function is called).</exception>
    public static Func<Tensor, Tensor, Tensor> Grad(Func<Tensor, Tensor, Tensor> f, int argnums = 0) =>
        (x, y) => GradOf<Tensor>(Fn.Of(f), [x, y], argnums);

    /// <inheritdoc cref="Grad(Func{Tensor, Tensor, Tensor}, int)"/>
    /// <param name="f">A function of three tensors with a scalar float result.</param>
    /// <param name="argnums">Which argument to differentiate with respect to; negative counts from the end.</param>
    public static Func<Tensor, Tensor, Tensor, Tensor> Grad(Func<Tensor, Tensor, Tensor, Tensor> f, int argnums = 0) =>
        (x, y, z) => GradOf<Tensor>(Fn.Of(f), [x, y, z], argnums);

    /// <inheritdoc cref="Grad(Func{Tensor, Tensor, Tensor}, int)"/>
    /// <param name="f">A function of four tensors with a scalar float result.</param>
    /// <param name="argnums">Which argument to differentiate with respect to; negative counts from the end.</param>
    public static Func<Tensor, Tensor, Tensor, Tensor, Tensor> Grad(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f, int argnums = 0) =>
        (x, y, z, w) => GradOf<Tensor>(Fn.Of(f), [x, y, z, w], argnums);

    /// <summary>The gradients of a scalar function of two tensors with respect to several
    /// arguments, like <c>jax.grad(f, argnums=(0, 1))</c>.</summary>
    /// <param name="f">A function of two tensors with a scalar float result.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    /// <returns>A function returning one gradient per entry of <paramref name="argnums"/>.</returns>
    /// <exception cref="ArgumentException">An argnum is out of range, an argument is not float,
    /// or f's output is not a float scalar.</exception>
    public static Func<Tensor, Tensor, Tensor[]> Grad(Func<Tensor, Tensor, Tensor> f, int[] argnums) =>
        (x, y) => Fn.Tensors(GradsOf(Fn.Of(f), [x, y], argnums));

    /// <inheritdoc cref="Grad(Func{Tensor, Tensor, Tensor}, int[])"/>
    /// <param name="f">A function of three tensors with a scalar float result.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    public static Func<Tensor, Tensor, Tensor, Tensor[]> Grad(Func<Tensor, Tensor, Tensor, Tensor> f, int[] argnums) =>
        (x, y, z) => Fn.Tensors(GradsOf(Fn.Of(f), [x, y, z], argnums));

    /// <inheritdoc cref="Grad(Func{Tensor, Tensor, Tensor}, int[])"/>
    /// <param name="f">A function of four tensors with a scalar float result.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    public static Func<Tensor, Tensor, Tensor, Tensor, Tensor[]> Grad(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f, int[] argnums) =>
        (x, y, z, w) => Fn.Tensors(GradsOf(Fn.Of(f), [x, y, z, w], argnums));

    // ---- Grad: functions of pytrees -----------------------------------------------------------

    /// <summary>The gradient of a scalar function of a pytree, like <c>jax.grad</c>: a tree of
    /// the argument's structure and type (for a <c>Tensor[]</c> of weights, a <c>Tensor[]</c>
    /// of their gradients).</summary>
    /// <typeparam name="T">The argument's pytree type.</typeparam>
    /// <param name="f">A function of one pytree with a scalar float result.</param>
    /// <returns>A function computing ∇f at its argument.</returns>
    /// <exception cref="ArgumentException">f's output is not a float scalar, a leaf of the
    /// argument is not float (the message gives its path), or the argument is not a pytree.</exception>
    public static Func<T, T> Grad<T>(Func<T, Tensor> f) =>
        x => GradOf<T>(Fn.Of(f), [x], 0);

    /// <summary>The gradient of a scalar function of two pytrees with respect to the first, like
    /// <c>jax.grad</c>: for <c>loss(parameters, batch)</c>, a tree of the parameters' structure
    /// and type.</summary>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <param name="f">A function of two pytrees with a scalar float result.</param>
    /// <returns>A function of the same arguments returning ∂f/∂x1.</returns>
    /// <exception cref="ArgumentException">f's output is not a float scalar, a leaf of the
    /// first argument is not float, or an argument is not a pytree.</exception>
    public static Func<T1, T2, T1> Grad<T1, T2>(Func<T1, T2, Tensor> f) =>
        (x, y) => GradOf<T1>(Fn.Of(f), [x, y], 0);

    /// <inheritdoc cref="Grad{T1, T2}(Func{T1, T2, Tensor})"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <param name="f">A function of three pytrees with a scalar float result.</param>
    public static Func<T1, T2, T3, T1> Grad<T1, T2, T3>(Func<T1, T2, T3, Tensor> f) =>
        (x, y, z) => GradOf<T1>(Fn.Of(f), [x, y, z], 0);

    /// <inheritdoc cref="Grad{T1, T2}(Func{T1, T2, Tensor})"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <typeparam name="T4">The fourth argument's pytree type.</typeparam>
    /// <param name="f">A function of four pytrees with a scalar float result.</param>
    public static Func<T1, T2, T3, T4, T1> Grad<T1, T2, T3, T4>(Func<T1, T2, T3, T4, Tensor> f) =>
        (x, y, z, w) => GradOf<T1>(Fn.Of(f), [x, y, z, w], 0);

    /// <summary>The gradient of a scalar function of two pytrees with respect to argument
    /// <paramref name="argnums"/>: a tree of that argument's structure, typed
    /// <see cref="object"/> (cast it to the argument's type).</summary>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <param name="f">A function of two pytrees with a scalar float result.</param>
    /// <param name="argnums">Which argument to differentiate with respect to; negative counts from the end.</param>
    /// <returns>A function of the same arguments returning ∂f/∂x_argnums.</returns>
    /// <exception cref="ArgumentException">argnums is out of range, a leaf of that argument is
    /// not float, f's output is not a float scalar, or an argument is not a pytree.</exception>
    public static Func<T1, T2, object?> Grad<T1, T2>(Func<T1, T2, Tensor> f, int argnums) =>
        (x, y) => GradOf<object?>(Fn.Of(f), [x, y], argnums);

    /// <inheritdoc cref="Grad{T1, T2}(Func{T1, T2, Tensor}, int)"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <param name="f">A function of three pytrees with a scalar float result.</param>
    /// <param name="argnums">Which argument to differentiate with respect to; negative counts from the end.</param>
    public static Func<T1, T2, T3, object?> Grad<T1, T2, T3>(Func<T1, T2, T3, Tensor> f, int argnums) =>
        (x, y, z) => GradOf<object?>(Fn.Of(f), [x, y, z], argnums);

    /// <inheritdoc cref="Grad{T1, T2}(Func{T1, T2, Tensor}, int)"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <typeparam name="T4">The fourth argument's pytree type.</typeparam>
    /// <param name="f">A function of four pytrees with a scalar float result.</param>
    /// <param name="argnums">Which argument to differentiate with respect to; negative counts from the end.</param>
    public static Func<T1, T2, T3, T4, object?> Grad<T1, T2, T3, T4>(Func<T1, T2, T3, T4, Tensor> f, int argnums) =>
        (x, y, z, w) => GradOf<object?>(Fn.Of(f), [x, y, z, w], argnums);

    /// <summary>The gradients of a scalar function of two pytrees with respect to several
    /// arguments, like <c>jax.grad(f, argnums=(0, 1))</c>: one tree per entry of
    /// <paramref name="argnums"/>, of that argument's structure.</summary>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <param name="f">A function of two pytrees with a scalar float result.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    /// <returns>A function of the same arguments returning the gradients in the order of <paramref name="argnums"/>.</returns>
    /// <exception cref="ArgumentException">An argnum is out of range, a leaf of a differentiated
    /// argument is not float, f's output is not a float scalar, or an argument is not a pytree.</exception>
    public static Func<T1, T2, object?[]> Grad<T1, T2>(Func<T1, T2, Tensor> f, int[] argnums) =>
        (x, y) => GradsOf(Fn.Of(f), [x, y], argnums);

    /// <inheritdoc cref="Grad{T1, T2}(Func{T1, T2, Tensor}, int[])"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <param name="f">A function of three pytrees with a scalar float result.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    public static Func<T1, T2, T3, object?[]> Grad<T1, T2, T3>(Func<T1, T2, T3, Tensor> f, int[] argnums) =>
        (x, y, z) => GradsOf(Fn.Of(f), [x, y, z], argnums);

    /// <inheritdoc cref="Grad{T1, T2}(Func{T1, T2, Tensor}, int[])"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's pytree type.</typeparam>
    /// <typeparam name="T4">The fourth argument's pytree type.</typeparam>
    /// <param name="f">A function of four pytrees with a scalar float result.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    public static Func<T1, T2, T3, T4, object?[]> Grad<T1, T2, T3, T4>(Func<T1, T2, T3, T4, Tensor> f, int[] argnums) =>
        (x, y, z, w) => GradsOf(Fn.Of(f), [x, y, z, w], argnums);

    // ---- Grad with auxiliary data -------------------------------------------------------------

    /// <summary>The gradient of a function returning (a scalar, auxiliary data), like
    /// <c>jax.grad(f, has_aux=True)</c>: the aux pytree comes back as computed, not
    /// differentiated.</summary>
    /// <typeparam name="T">The argument's type: a tensor or a pytree.</typeparam>
    /// <typeparam name="TAux">The auxiliary data's pytree type.</typeparam>
    /// <param name="f">A function returning (a scalar float, aux).</param>
    /// <param name="hasAux">True. With false f's whole result is differentiated, which fails
    /// as it is not a scalar (as in JAX).</param>
    /// <returns>A function returning (∇f, aux).</returns>
    /// <exception cref="ArgumentException">f's value is not a float scalar, a leaf of the
    /// argument is not float, or a tree is not a pytree.</exception>
    public static Func<T, (T Grad, TAux Aux)> Grad<T, TAux>(Func<T, (Tensor, TAux)> f, bool hasAux) =>
        x => GradAux<T, TAux>(Fn.Of(f), [x], 0, hasAux);

    /// <summary>The gradient of a function of two arguments returning (a scalar, auxiliary
    /// data) with respect to the first, like <c>jax.grad(f, has_aux=True)</c>.</summary>
    /// <typeparam name="T1">The first argument's type: a tensor or a pytree.</typeparam>
    /// <typeparam name="T2">The second argument's type.</typeparam>
    /// <typeparam name="TAux">The auxiliary data's pytree type.</typeparam>
    /// <param name="f">A function returning (a scalar float, aux).</param>
    /// <param name="hasAux">True (false differentiates f's whole result, which fails).</param>
    /// <returns>A function returning (∂f/∂x1, aux).</returns>
    /// <exception cref="ArgumentException">f's value is not a float scalar, a leaf of the
    /// first argument is not float, or a tree is not a pytree.</exception>
    public static Func<T1, T2, (T1 Grad, TAux Aux)> Grad<T1, T2, TAux>(Func<T1, T2, (Tensor, TAux)> f, bool hasAux) =>
        (x, y) => GradAux<T1, TAux>(Fn.Of(f), [x, y], 0, hasAux);

    /// <inheritdoc cref="Grad{T1, T2, TAux}(Func{T1, T2, ValueTuple{Tensor, TAux}}, bool)"/>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="T3">The third argument's type.</typeparam>
    /// <typeparam name="TAux">The auxiliary data's pytree type.</typeparam>
    /// <param name="f">A function of three pytrees with a scalar float result.</param>
    /// <param name="hasAux">True (false differentiates f's whole result, which fails).</param>
    public static Func<T1, T2, T3, (T1 Grad, TAux Aux)> Grad<T1, T2, T3, TAux>(Func<T1, T2, T3, (Tensor, TAux)> f, bool hasAux) =>
        (x, y, z) => GradAux<T1, TAux>(Fn.Of(f), [x, y, z], 0, hasAux);

    /// <summary>The gradients of a function of two arguments returning (a scalar, auxiliary
    /// data) with respect to several arguments, like <c>jax.grad(f, argnums, has_aux=True)</c>.</summary>
    /// <typeparam name="T1">The first argument's type: a tensor or a pytree.</typeparam>
    /// <typeparam name="T2">The second argument's type.</typeparam>
    /// <typeparam name="TAux">The auxiliary data's pytree type.</typeparam>
    /// <param name="f">A function returning (a scalar float, aux).</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    /// <param name="hasAux">True (false differentiates f's whole result, which fails).</param>
    /// <returns>A function returning (one gradient tree per entry of <paramref name="argnums"/>, aux).</returns>
    /// <exception cref="ArgumentException">An argnum is out of range, f's value is not a float
    /// scalar, a differentiated leaf is not float, or a tree is not a pytree.</exception>
    public static Func<T1, T2, (object?[] Grads, TAux Aux)> Grad<T1, T2, TAux>(Func<T1, T2, (Tensor, TAux)> f, int[] argnums, bool hasAux) =>
        (x, y) => GradsAux<TAux>(Fn.Of(f), [x, y], argnums, hasAux);

    /// <inheritdoc cref="Grad{T1, T2, TAux}(Func{T1, T2, ValueTuple{Tensor, TAux}}, int[], bool)"/>
    /// <typeparam name="T1">The first argument's type: a tensor or a pytree.</typeparam>
    /// <typeparam name="T2">The second argument's type.</typeparam>
    /// <typeparam name="T3">The third argument's type.</typeparam>
    /// <typeparam name="TAux">The auxiliary data's pytree type.</typeparam>
    /// <param name="f">A function returning (a scalar float, aux).</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    /// <param name="hasAux">True (false differentiates f's whole result, which fails).</param>
    public static Func<T1, T2, T3, (object?[] Grads, TAux Aux)> Grad<T1, T2, T3, TAux>(Func<T1, T2, T3, (Tensor, TAux)> f, int[] argnums, bool hasAux) =>
        (x, y, z) => GradsAux<TAux>(Fn.Of(f), [x, y, z], argnums, hasAux);
}
