// Jax.JacFwd, Jax.JacRev, Jax.Hessian: Jacobians as JAX builds them (vmap of jvp over the
// inputs' standard basis; vmap of the pullback over the outputs'; hessian = jacfwd of jacrev).
// A Jacobian's structure is the output's with each leaf replaced by the argument's tree of
// blocks (shape out.shape + leaf.shape); with argnums int[], by an array of one such tree per
// argnum. That is typed where it can be: a tensor function of tensors gives a Tensor, a tensor
// function of a T gives a T, a TOut function of a tensor gives a TOut; otherwise an object.
namespace Cotangent;

public static partial class Jax
{
    private static T Jac<T>(bool forward, Func<object?[], object?> f, object?[] args, int argnums) =>
        Pytree.As<T>(Transforms.Jacobian(forward, f, args, [argnums], false));

    private static T Jacs<T>(bool forward, Func<object?[], object?> f, object?[] args, int[] argnums) =>
        Pytree.As<T>(Transforms.Jacobian(forward, f, args, argnums, true));

    private static T Hess<T>(Func<object?[], object?> f, object?[] args, int[] argnums, bool many) =>
        Pytree.As<T>(Transforms.Hessian(f, args, argnums, many));

    // ---- JacFwd -------------------------------------------------------------------------------

    /// <summary>The Jacobian by forward mode, like <c>jax.jacfwd</c>: one jvp per input element,
    /// batched with vmap.</summary>
    /// <param name="f">A function of one float tensor.</param>
    /// <returns>A function returning ∂f/∂x, of shape f(x).shape + x.shape.</returns>
    /// <exception cref="ArgumentException">The argument is not float.</exception>
    public static Func<Tensor, Tensor> JacFwd(Func<Tensor, Tensor> f) =>
        x => Jac<Tensor>(true, Fn.Of(f), [x], 0);

    /// <summary>The Jacobian by forward mode of a function of two tensors with respect to
    /// argument <paramref name="argnums"/>, like <c>jax.jacfwd(f, argnums)</c>.</summary>
    /// <param name="f">A function of two tensors.</param>
    /// <param name="argnums">Which argument to differentiate with respect to; negative counts from the end.</param>
    /// <returns>A function of the same arguments returning ∂f/∂x_argnums, of shape f.shape + x_argnums.shape.</returns>
    /// <exception cref="ArgumentException">argnums is out of range, or that argument is not float.</exception>
    public static Func<Tensor, Tensor, Tensor> JacFwd(Func<Tensor, Tensor, Tensor> f, int argnums = 0) =>
        (x, y) => Jac<Tensor>(true, Fn.Of(f), [x, y], argnums);

    /// <inheritdoc cref="JacFwd(Func{Tensor, Tensor, Tensor}, int)"/>
    /// <param name="f">A function of three tensors.</param>
    /// <param name="argnums">Which argument to differentiate with respect to; negative counts from the end.</param>
    public static Func<Tensor, Tensor, Tensor, Tensor> JacFwd(Func<Tensor, Tensor, Tensor, Tensor> f, int argnums = 0) =>
        (x, y, z) => Jac<Tensor>(true, Fn.Of(f), [x, y, z], argnums);

    /// <summary>The Jacobians by forward mode of a function of two tensors with respect to
    /// several arguments, like <c>jax.jacfwd(f, argnums=(0, 1))</c>.</summary>
    /// <param name="f">A function of two tensors.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    /// <returns>A function returning one Jacobian per entry of <paramref name="argnums"/>.</returns>
    /// <exception cref="ArgumentException">An argnum is out of range, or a differentiated argument is not float.</exception>
    public static Func<Tensor, Tensor, Tensor[]> JacFwd(Func<Tensor, Tensor, Tensor> f, int[] argnums) =>
        (x, y) => Jacs<Tensor[]>(true, Fn.Of(f), [x, y], argnums);

    /// <inheritdoc cref="JacFwd(Func{Tensor, Tensor, Tensor}, int[])"/>
    /// <param name="f">A function of three tensors.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    public static Func<Tensor, Tensor, Tensor, Tensor[]> JacFwd(Func<Tensor, Tensor, Tensor, Tensor> f, int[] argnums) =>
        (x, y, z) => Jacs<Tensor[]>(true, Fn.Of(f), [x, y, z], argnums);

    /// <summary>The Jacobian by forward mode of a tensor function of a pytree: a tree of the
    /// argument's structure and type whose leaves are the blocks ∂f/∂leaf.</summary>
    /// <typeparam name="T">The argument's pytree type.</typeparam>
    /// <param name="f">A function of one pytree with float leaves.</param>
    /// <returns>A function returning the Jacobian as a tree of blocks of shape f.shape + leaf.shape.</returns>
    /// <exception cref="ArgumentException">A leaf is not float (its path is named), or the argument is not a pytree.</exception>
    public static Func<T, T> JacFwd<T>(Func<T, Tensor> f) =>
        x => Jac<T>(true, Fn.Of(f), [x], 0);

    /// <summary>The Jacobian by forward mode of a pytree function of one tensor: a tree of the
    /// output's structure and type whose leaves are ∂out/∂x.</summary>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of one float tensor.</param>
    /// <returns>A function returning the Jacobian as a tree of blocks of shape out.shape + x.shape.</returns>
    /// <exception cref="ArgumentException">The argument is not float, or the result is not a pytree.</exception>
    public static Func<Tensor, TOut> JacFwd<TOut>(Func<Tensor, TOut> f) =>
        x => Jac<TOut>(true, Fn.Of(f), [x], 0);

    /// <summary>The Jacobian by forward mode of a pytree function of a pytree, like
    /// <c>jax.jacfwd</c>: the output's structure with each leaf replaced by a tree of the
    /// argument's structure (containers' element types widen to hold the subtrees, e.g.
    /// <c>Tensor[][]</c>).</summary>
    /// <typeparam name="T">The argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of one pytree with float leaves.</param>
    /// <returns>A function returning the Jacobian.</returns>
    /// <exception cref="ArgumentException">A leaf is not float, or a tree is not a pytree.</exception>
    public static Func<T, object?> JacFwd<T, TOut>(Func<T, TOut> f) =>
        x => Jac<object?>(true, Fn.Of(f), [x], 0);

    /// <summary>The Jacobian by forward mode of a function of two pytrees with respect to
    /// argument <paramref name="argnums"/> (see <see cref="JacFwd{T, TOut}(Func{T, TOut})"/>
    /// for the structure).</summary>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of two pytrees.</param>
    /// <param name="argnums">Which argument to differentiate with respect to.</param>
    /// <returns>A function of the same arguments returning the Jacobian.</returns>
    /// <exception cref="ArgumentException">argnums is out of range, a differentiated leaf is
    /// not float, or a tree is not a pytree.</exception>
    public static Func<T1, T2, object?> JacFwd<T1, T2, TOut>(Func<T1, T2, TOut> f, int argnums = 0) =>
        (x, y) => Jac<object?>(true, Fn.Of(f), [x, y], argnums);

    /// <summary>The Jacobians by forward mode of a function of two pytrees with respect to
    /// several arguments: the output's structure with each leaf replaced by an array of one
    /// tree per argnum.</summary>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of two pytrees.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    /// <returns>A function of the same arguments returning the Jacobians.</returns>
    /// <exception cref="ArgumentException">An argnum is out of range, a differentiated leaf is
    /// not float, or a tree is not a pytree.</exception>
    public static Func<T1, T2, object?> JacFwd<T1, T2, TOut>(Func<T1, T2, TOut> f, int[] argnums) =>
        (x, y) => Jacs<object?>(true, Fn.Of(f), [x, y], argnums);

    // ---- JacRev -------------------------------------------------------------------------------

    /// <summary>The Jacobian by reverse mode, like <c>jax.jacrev</c>: one pullback per output
    /// element, batched with vmap.</summary>
    /// <param name="f">A function of one float tensor.</param>
    /// <returns>A function returning ∂f/∂x, of shape f(x).shape + x.shape.</returns>
    /// <exception cref="ArgumentException">The argument is not float.</exception>
    public static Func<Tensor, Tensor> JacRev(Func<Tensor, Tensor> f) =>
        x => Jac<Tensor>(false, Fn.Of(f), [x], 0);

    /// <summary>The Jacobian by reverse mode of a function of two tensors with respect to
    /// argument <paramref name="argnums"/>, like <c>jax.jacrev(f, argnums)</c>.</summary>
    /// <param name="f">A function of two tensors.</param>
    /// <param name="argnums">Which argument to differentiate with respect to; negative counts from the end.</param>
    /// <returns>A function of the same arguments returning ∂f/∂x_argnums, of shape f.shape + x_argnums.shape.</returns>
    /// <exception cref="ArgumentException">argnums is out of range, or that argument is not float.</exception>
    public static Func<Tensor, Tensor, Tensor> JacRev(Func<Tensor, Tensor, Tensor> f, int argnums = 0) =>
        (x, y) => Jac<Tensor>(false, Fn.Of(f), [x, y], argnums);

    /// <inheritdoc cref="JacRev(Func{Tensor, Tensor, Tensor}, int)"/>
    /// <param name="f">A function of three tensors.</param>
    /// <param name="argnums">Which argument to differentiate with respect to; negative counts from the end.</param>
    public static Func<Tensor, Tensor, Tensor, Tensor> JacRev(Func<Tensor, Tensor, Tensor, Tensor> f, int argnums = 0) =>
        (x, y, z) => Jac<Tensor>(false, Fn.Of(f), [x, y, z], argnums);

    /// <summary>The Jacobians by reverse mode of a function of two tensors with respect to
    /// several arguments, like <c>jax.jacrev(f, argnums=(0, 1))</c>.</summary>
    /// <param name="f">A function of two tensors.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    /// <returns>A function returning one Jacobian per entry of <paramref name="argnums"/>.</returns>
    /// <exception cref="ArgumentException">An argnum is out of range, or a differentiated argument is not float.</exception>
    public static Func<Tensor, Tensor, Tensor[]> JacRev(Func<Tensor, Tensor, Tensor> f, int[] argnums) =>
        (x, y) => Jacs<Tensor[]>(false, Fn.Of(f), [x, y], argnums);

    /// <inheritdoc cref="JacRev(Func{Tensor, Tensor, Tensor}, int[])"/>
    /// <param name="f">A function of three tensors.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    public static Func<Tensor, Tensor, Tensor, Tensor[]> JacRev(Func<Tensor, Tensor, Tensor, Tensor> f, int[] argnums) =>
        (x, y, z) => Jacs<Tensor[]>(false, Fn.Of(f), [x, y, z], argnums);

    /// <summary>The Jacobian by reverse mode of a tensor function of a pytree: a tree of the
    /// argument's structure and type whose leaves are the blocks ∂f/∂leaf.</summary>
    /// <typeparam name="T">The argument's pytree type.</typeparam>
    /// <param name="f">A function of one pytree with float leaves.</param>
    /// <returns>A function returning the Jacobian as a tree of blocks of shape f.shape + leaf.shape.</returns>
    /// <exception cref="ArgumentException">A leaf is not float (its path is named), or the argument is not a pytree.</exception>
    public static Func<T, T> JacRev<T>(Func<T, Tensor> f) =>
        x => Jac<T>(false, Fn.Of(f), [x], 0);

    /// <summary>The Jacobian by reverse mode of a pytree function of one tensor: a tree of the
    /// output's structure and type whose leaves are ∂out/∂x.</summary>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of one float tensor.</param>
    /// <returns>A function returning the Jacobian as a tree of blocks of shape out.shape + x.shape.</returns>
    /// <exception cref="ArgumentException">The argument is not float, or the result is not a pytree.</exception>
    public static Func<Tensor, TOut> JacRev<TOut>(Func<Tensor, TOut> f) =>
        x => Jac<TOut>(false, Fn.Of(f), [x], 0);

    /// <summary>The Jacobian by reverse mode of a pytree function of a pytree, like
    /// <c>jax.jacrev</c>: the output's structure with each leaf replaced by a tree of the
    /// argument's structure.</summary>
    /// <typeparam name="T">The argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of one pytree with float leaves.</param>
    /// <returns>A function returning the Jacobian.</returns>
    /// <exception cref="ArgumentException">A leaf is not float, or a tree is not a pytree.</exception>
    public static Func<T, object?> JacRev<T, TOut>(Func<T, TOut> f) =>
        x => Jac<object?>(false, Fn.Of(f), [x], 0);

    /// <summary>The Jacobian by reverse mode of a function of two pytrees with respect to
    /// argument <paramref name="argnums"/>.</summary>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of two pytrees.</param>
    /// <param name="argnums">Which argument to differentiate with respect to.</param>
    /// <returns>A function of the same arguments returning the Jacobian.</returns>
    /// <exception cref="ArgumentException">argnums is out of range, a differentiated leaf is
    /// not float, or a tree is not a pytree.</exception>
    public static Func<T1, T2, object?> JacRev<T1, T2, TOut>(Func<T1, T2, TOut> f, int argnums = 0) =>
        (x, y) => Jac<object?>(false, Fn.Of(f), [x, y], argnums);

    /// <summary>The Jacobians by reverse mode of a function of two pytrees with respect to
    /// several arguments: the output's structure with each leaf replaced by an array of one
    /// tree per argnum.</summary>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <typeparam name="TOut">The result's pytree type.</typeparam>
    /// <param name="f">A function of two pytrees.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    /// <returns>A function of the same arguments returning the Jacobians.</returns>
    /// <exception cref="ArgumentException">An argnum is out of range, a differentiated leaf is
    /// not float, or a tree is not a pytree.</exception>
    public static Func<T1, T2, object?> JacRev<T1, T2, TOut>(Func<T1, T2, TOut> f, int[] argnums) =>
        (x, y) => Jacs<object?>(false, Fn.Of(f), [x, y], argnums);

    // ---- Hessian ------------------------------------------------------------------------------

    /// <summary>The Hessian, like <c>jax.hessian</c> = <c>jacfwd(jacrev(f))</c>.</summary>
    /// <param name="f">A function of one float tensor (usually with a scalar result).</param>
    /// <returns>A function returning ∂²f/∂x², of shape f.shape + x.shape + x.shape.</returns>
    /// <exception cref="ArgumentException">The argument is not float.</exception>
    public static Func<Tensor, Tensor> Hessian(Func<Tensor, Tensor> f) =>
        x => Hess<Tensor>(Fn.Of(f), [x], [0], false);

    /// <summary>The Hessian of a function of two tensors with respect to argument
    /// <paramref name="argnums"/>, like <c>jax.hessian(f, argnums)</c>.</summary>
    /// <param name="f">A function of two tensors.</param>
    /// <param name="argnums">Which argument to differentiate with respect to (twice).</param>
    /// <returns>A function of the same arguments returning ∂²f/∂x_argnums².</returns>
    /// <exception cref="ArgumentException">argnums is out of range, or that argument is not float.</exception>
    public static Func<Tensor, Tensor, Tensor> Hessian(Func<Tensor, Tensor, Tensor> f, int argnums = 0) =>
        (x, y) => Hess<Tensor>(Fn.Of(f), [x, y], [argnums], false);

    /// <inheritdoc cref="Hessian(Func{Tensor, Tensor, Tensor}, int)"/>
    /// <param name="f">A function of three tensors.</param>
    /// <param name="argnums">Which argument to differentiate with respect to (twice).</param>
    public static Func<Tensor, Tensor, Tensor, Tensor> Hessian(Func<Tensor, Tensor, Tensor, Tensor> f, int argnums = 0) =>
        (x, y, z) => Hess<Tensor>(Fn.Of(f), [x, y, z], [argnums], false);

    /// <summary>The Hessian blocks of a function of two tensors with respect to several
    /// arguments, like <c>jax.hessian(f, argnums=(0, 1))</c>: <c>h[i][j]</c> = ∂²f/∂x_argnums[i]∂x_argnums[j].</summary>
    /// <param name="f">A function of two tensors.</param>
    /// <param name="argnums">The arguments to differentiate with respect to.</param>
    /// <returns>A function returning the blocks.</returns>
    /// <exception cref="ArgumentException">An argnum is out of range, or a differentiated argument is not float.</exception>
    public static Func<Tensor, Tensor, Tensor[][]> Hessian(Func<Tensor, Tensor, Tensor> f, int[] argnums) =>
        (x, y) => Hess<Tensor[][]>(Fn.Of(f), [x, y], argnums, true);

    /// <summary>The Hessian of a tensor function of a pytree, like <c>jax.hessian</c>: a tree
    /// of the argument's structure whose leaves are trees of the argument's structure, with
    /// blocks ∂²f/∂leaf_i∂leaf_j (a <c>Tensor[]</c> argument gives a <c>Tensor[][]</c>).</summary>
    /// <typeparam name="T">The argument's pytree type.</typeparam>
    /// <param name="f">A function of one pytree with float leaves.</param>
    /// <returns>A function returning the Hessian.</returns>
    /// <exception cref="ArgumentException">A leaf is not float, or the argument is not a pytree.</exception>
    public static Func<T, object?> Hessian<T>(Func<T, Tensor> f) =>
        x => Hess<object?>(Fn.Of(f), [x], [0], false);

    /// <summary>The Hessian of a tensor function of two pytrees with respect to argument
    /// <paramref name="argnums"/> (see <see cref="Hessian{T}(Func{T, Tensor})"/> for the structure).</summary>
    /// <typeparam name="T1">The first argument's pytree type.</typeparam>
    /// <typeparam name="T2">The second argument's pytree type.</typeparam>
    /// <param name="f">A function of two pytrees.</param>
    /// <param name="argnums">Which argument to differentiate with respect to (twice).</param>
    /// <returns>A function of the same arguments returning the Hessian.</returns>
    /// <exception cref="ArgumentException">argnums is out of range, a differentiated leaf is
    /// not float, or an argument is not a pytree.</exception>
    public static Func<T1, T2, object?> Hessian<T1, T2>(Func<T1, T2, Tensor> f, int argnums = 0) =>
        (x, y) => Hess<object?>(Fn.Of(f), [x, y], [argnums], false);
}
