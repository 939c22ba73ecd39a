// Tree: jax.tree's functions over pytrees of tensors (leaves, structure, flatten, unflatten,
// map), for code that handles parameters and gradients as whole trees.
namespace Cotangent;

/// <summary>Functions over pytrees, like <c>jax.tree</c>: nested value tuples, arrays, lists
/// (<c>IReadOnlyList&lt;T&gt;</c>) and dictionaries with string keys whose leaves are tensors.
/// Leaves come in JAX's order: tuples and lists by position, dictionaries by sorted key.</summary>
public static class Tree
{
    /// <summary>The leaves of <paramref name="tree"/> in order, like <c>jax.tree.leaves</c>.</summary>
    /// <param name="tree">A pytree.</param>
    /// <returns>The tensors, depth first; dictionaries contribute theirs in ordinal key order.</returns>
    /// <exception cref="ArgumentException"><paramref name="tree"/> contains something that is
    /// neither a tensor, null, nor a supported container.</exception>
    public static IReadOnlyList<Tensor> Leaves(object? tree) => Pytree.Flatten(tree).Leaves;

    /// <summary>The structure of <paramref name="tree"/>, like <c>jax.tree.structure</c>.</summary>
    /// <param name="tree">A pytree.</param>
    /// <returns>Its <see cref="TreeDef"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="tree"/> is not a pytree.</exception>
    public static TreeDef Structure(object? tree) => Pytree.Flatten(tree).Def;

    /// <summary>The leaves and the structure of <paramref name="tree"/>, like <c>jax.tree.flatten</c>.</summary>
    /// <param name="tree">A pytree.</param>
    /// <returns>The leaves in order and the structure that <see cref="Unflatten{T}"/> rebuilds from them.</returns>
    /// <exception cref="ArgumentException"><paramref name="tree"/> is not a pytree.</exception>
    public static (IReadOnlyList<Tensor> Leaves, TreeDef TreeDef) Flatten(object? tree)
    {
        var (leaves, def) = Pytree.Flatten(tree);
        return (leaves, def);
    }

    /// <summary>Rebuilds a tree of structure <paramref name="treedef"/> from
    /// <paramref name="leaves"/>, like <c>jax.tree.unflatten</c>. Containers keep their types:
    /// arrays, <c>List&lt;T&gt;</c>, <c>ReadOnlyCollection&lt;T&gt;</c>, value tuples,
    /// <c>Dictionary</c> and <c>SortedDictionary</c> (other lists come back as arrays, other
    /// dictionaries as <c>Dictionary</c>).</summary>
    /// <typeparam name="T">The tree's type.</typeparam>
    /// <param name="treedef">The structure.</param>
    /// <param name="leaves">Exactly <see cref="TreeDef.LeafCount"/> tensors, in order.</param>
    /// <returns>The tree.</returns>
    /// <exception cref="ArgumentException">The number of leaves differs from the structure's, or
    /// the rebuilt tree is not a <typeparamref name="T"/>.</exception>
    public static T Unflatten<T>(TreeDef treedef, IEnumerable<Tensor> leaves)
    {
        ArgumentNullException.ThrowIfNull(treedef);
        ArgumentNullException.ThrowIfNull(leaves);
        return Pytree.As<T>(treedef.Unflatten(leaves));
    }

    /// <summary>Applies <paramref name="f"/> to every leaf, like <c>jax.tree.map</c>.</summary>
    /// <typeparam name="T">The tree's type.</typeparam>
    /// <param name="f">The function of a leaf.</param>
    /// <param name="tree">A pytree.</param>
    /// <returns>A tree of the same structure with <c>f(leaf)</c> at each leaf.</returns>
    /// <exception cref="ArgumentException"><paramref name="tree"/> is not a pytree.</exception>
    public static T Map<T>(Func<Tensor, Tensor> f, T tree)
    {
        ArgumentNullException.ThrowIfNull(f);
        var (leaves, def) = Pytree.Flatten(tree);
        return Pytree.As<T>(def.Unflatten(leaves.Select(f)));
    }

    /// <summary>Applies <paramref name="f"/> to the corresponding leaves of two trees of the same
    /// structure, like <c>jax.tree.map(f, tree, other)</c>: e.g. a gradient step
    /// <c>Tree.Map((p, g) =&gt; p - 0.1f * g, ps, grads)</c>.</summary>
    /// <typeparam name="T">The trees' type.</typeparam>
    /// <param name="f">The function of a leaf of <paramref name="tree"/> and the leaf of
    /// <paramref name="other"/> at the same place.</param>
    /// <param name="tree">A pytree, whose container types the result keeps.</param>
    /// <param name="other">A pytree of the same structure.</param>
    /// <returns>A tree of <paramref name="tree"/>'s structure with <c>f(x, y)</c> at each leaf.</returns>
    /// <exception cref="ArgumentException">The two structures differ (the message shows both),
    /// or an argument is not a pytree.</exception>
    public static T Map<T>(Func<Tensor, Tensor, Tensor> f, T tree, T other)
    {
        ArgumentNullException.ThrowIfNull(f);
        var (xs, def) = Pytree.Flatten(tree);
        var (ys, otherDef) = Pytree.Flatten(other);
        if (!def.Equals(otherDef))
            throw new ArgumentException($"Tree.Map: the trees differ in structure: {def} and {otherDef}.", nameof(other));
        return Pytree.As<T>(def.Unflatten(xs.Zip(ys, f)));
    }
}
