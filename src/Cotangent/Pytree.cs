// Pytrees: nested containers of tensors, as in jax.tree_util. A tree flattens to its leaves (the
// tensors, in JAX's order: tuples and lists by position, dictionaries by sorted key) and a
// TreeDef, its structure, which rebuilds a tree of the same shape from new leaves. The
// transformations flatten their arguments, trace the core's function of leaves, and rebuild.
//
//   tree ::= Tensor                                    a leaf
//          | null                                      None: a node without leaves
//          | ValueTuple / Tuple of trees               (*, *), any arity, nested
//          | T[] / List<T> / IReadOnlyList<T> of trees [*, *]
//          | dictionary with string keys of trees      {'a': *, 'b': *}, sorted by key (ordinal)
//
// Rebuilding keeps each container's type (Tensor[] stays Tensor[], List<T> stays List<T>);
// where new leaves are not tensors (a Jacobian's blocks are trees themselves) element types
// widen to what the new children are, e.g. Tensor[] of Tensor[] becomes Tensor[][].
using System.Collections;
using System.Collections.ObjectModel;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Cotangent;

/// <summary>The structure of a pytree without its leaves, like JAX's <c>PyTreeDef</c>: which
/// containers (value tuples, arrays and lists, dictionaries with string keys) nest how, and
/// where the tensor leaves sit. Two trees have equal structures when their containers have the
/// same kinds, lengths and keys (an array and a <c>List&lt;T&gt;</c> are both lists).</summary>
public sealed class TreeDef : IEquatable<TreeDef>
{
    internal enum Kind { Leaf, None, Tuple, List, Dict }

    internal readonly Kind Node;

    /// <summary>The container's runtime type, which rebuilding reproduces.</summary>
    internal readonly Type? Container;

    internal readonly TreeDef[] Children;

    /// <summary>A dictionary's keys in ordinal order (the children's order).</summary>
    internal readonly string[] Keys;

    /// <summary>A dictionary's key comparer, kept for the rebuilt dictionary.</summary>
    internal readonly object? Comparer;

    internal static readonly TreeDef LeafDef = new(Kind.Leaf, null, [], [], null);
    internal static readonly TreeDef NoneDef = new(Kind.None, null, [], [], null);

    internal TreeDef(Kind node, Type? container, TreeDef[] children, string[] keys, object? comparer)
    {
        Node = node;
        Container = container;
        Children = children;
        Keys = keys;
        Comparer = comparer;
        LeafCount = node == Kind.Leaf ? 1 : children.Sum(c => c.LeafCount);
    }

    /// <summary>The number of tensor leaves.</summary>
    public int LeafCount { get; }

    /// <summary>True for the structure of a single tensor.</summary>
    public bool IsLeaf => Node == Kind.Leaf;

    /// <summary>Whether <paramref name="other"/> has the same structure: the same container
    /// kinds, lengths and keys, nested the same way.</summary>
    /// <param name="other">The structure to compare with.</param>
    /// <returns>True when the structures match.</returns>
    public bool Equals(TreeDef? other) =>
        other is not null && Node == other.Node && Children.Length == other.Children.Length
        && Keys.SequenceEqual(other.Keys) && Children.Zip(other.Children).All(p => p.First.Equals(p.Second));

    /// <summary>Whether <paramref name="obj"/> is a <see cref="TreeDef"/> of the same structure.</summary>
    /// <param name="obj">The object to compare with.</param>
    /// <returns>True when <paramref name="obj"/> is an equal <see cref="TreeDef"/>.</returns>
    public override bool Equals(object? obj) => Equals(obj as TreeDef);

    /// <summary>A hash consistent with <see cref="Equals(TreeDef)"/>.</summary>
    /// <returns>The hash.</returns>
    public override int GetHashCode() =>
        Children.Aggregate(HashCode.Combine(Node, Children.Length, Keys.Length), (h, c) => HashCode.Combine(h, c.GetHashCode()));

    /// <summary>The structure as JAX prints it, with <c>*</c> for each leaf:
    /// <c>PyTreeDef((*, [*, *], {'b': *}))</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"PyTreeDef({Text()})";

    private string Text() => Node switch
    {
        Kind.Leaf => "*",
        Kind.None => "None",
        Kind.Tuple => Children.Length == 1 ? $"({Children[0].Text()},)" : "(" + string.Join(", ", Children.Select(c => c.Text())) + ")",
        Kind.List => "[" + string.Join(", ", Children.Select(c => c.Text())) + "]",
        _ => "{" + string.Join(", ", Keys.Zip(Children, (k, c) => $"'{k}': {c.Text()}")) + "}",
    };

    /// <summary>Each leaf's path from the root, as JAX's <c>keystr</c> writes it: <c>[0]['w']</c>
    /// (empty for a tree that is a single leaf).</summary>
    internal IEnumerable<string> LeafPaths() => Node switch
    {
        Kind.Leaf => [""],
        Kind.Dict => Keys.Zip(Children).SelectMany(p => p.Second.LeafPaths().Select(s => $"['{p.First}']{s}")),
        _ => Children.SelectMany((c, i) => c.LeafPaths().Select(s => $"[{i}]{s}")),
    };

    /// <summary>Rebuilds the tree from <paramref name="leaves"/>, in order; leaves may be any
    /// objects (subtrees), and container element types widen to fit them.</summary>
    internal object? Build(IEnumerator<object?> leaves)
    {
        switch (Node)
        {
            case Kind.Leaf:
                if (!leaves.MoveNext()) throw new InvalidOperationException("too few leaves");
                return leaves.Current;
            case Kind.None:
                return null;
            case Kind.Tuple:
                return Pytree.MakeTuple(Container!, Children.Select(c => c.Build(leaves)).ToArray());
            case Kind.List:
                return Pytree.MakeList(Container!, Children.Select(c => c.Build(leaves)).ToArray());
            default:
                return Pytree.MakeDict(Container!, Comparer, Keys, Children.Select(c => c.Build(leaves)).ToArray());
        }
    }

    /// <summary>Rebuilds the tree from exactly <see cref="LeafCount"/> leaves.</summary>
    internal object? Unflatten(IEnumerable<object?> leaves)
    {
        var items = leaves.ToList();
        if (items.Count != LeafCount)
            throw new ArgumentException($"the structure {this} has {LeafCount} leaves, but {items.Count} were given.", nameof(leaves));
        return Build(items.GetEnumerator());
    }
}

/// <summary>Flattening and rebuilding (the machinery behind <see cref="TreeDef"/>).</summary>
internal static class Pytree
{
    public static (List<Tensor> Leaves, TreeDef Def) Flatten(object? tree)
    {
        var leaves = new List<Tensor>();
        return (leaves, Flatten(tree, leaves));
    }

    public static TreeDef Flatten(object? tree, List<Tensor> leaves)
    {
        switch (tree)
        {
            case null:
                return TreeDef.NoneDef;
            case Tensor t:
                leaves.Add(t);
                return TreeDef.LeafDef;
            case ITuple tuple:
                return new(TreeDef.Kind.Tuple, tree.GetType(), Enumerable.Range(0, tuple.Length).Select(i => Flatten(tuple[i], leaves)).ToArray(), [], null);
            case IDictionary dict:
                return Dict(tree.GetType(), dict.Keys.Cast<object>().Select(k => ((object?)k, dict[k])), Comparer(tree), leaves);
            case Array { Rank: not 1 } array:
                throw NotATree(tree.GetType(), $"an array of rank {array.Rank}; use a jagged array or a tensor");
            case IList list:
                return new(TreeDef.Kind.List, tree.GetType(), list.Cast<object?>().Select(x => Flatten(x, leaves)).ToArray(), [], null);
        }
        var type = tree.GetType();
        if (Generic(type, typeof(IReadOnlyDictionary<,>)) is not null)
            return Dict(type, ((IEnumerable)tree).Cast<object>().Select(kv => (Property(kv, "Key"), Property(kv, "Value"))), null, leaves);
        if (Generic(type, typeof(IReadOnlyList<>)) is not null)
            return new(TreeDef.Kind.List, type, ((IEnumerable)tree).Cast<object?>().Select(x => Flatten(x, leaves)).ToArray(), [], null);
        throw NotATree(type, tree is IEnumerable ? "materialize a sequence with ToArray() or ToList()" : "leaves must be tensors");
    }

    private static object? Property(object o, string name) => o.GetType().GetProperty(name)!.GetValue(o);

    private static object? Comparer(object dict) =>
        dict.GetType().GetProperty("Comparer", BindingFlags.Public | BindingFlags.Instance)?.GetValue(dict);

    private static TreeDef Dict(Type type, IEnumerable<(object? Key, object? Value)> entries, object? comparer, List<Tensor> leaves)
    {
        var items = entries.Select(e => e.Key is string k ? (Key: k, e.Value)
            : throw NotATree(type, $"its key {e.Key} is a {e.Key?.GetType().Name}; dictionary keys must be strings")).ToList();
        items.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new(TreeDef.Kind.Dict, type, items.Select(e => Flatten(e.Value, leaves)).ToArray(), items.Select(e => e.Key).ToArray(), comparer);
    }

    private static ArgumentException NotATree(Type type, string why) =>
        new($"{Name(type)} is not a pytree ({why}). Pytrees are tensors, null, value tuples, arrays, lists "
            + "(IReadOnlyList<T>) and dictionaries with string keys, nested.");

    /// <summary>C#'s spelling of a type: <c>List&lt;Tensor&gt;</c>, <c>(Tensor, Tensor[])</c>.</summary>
    public static string Name(Type t)
    {
        if (t.IsArray) return Name(t.GetElementType()!) + "[]";
        if (!t.IsGenericType) return t.Name;
        var args = t.GetGenericArguments().Select(Name);
        return t.FullName?.StartsWith("System.ValueTuple`", StringComparison.Ordinal) == true
            ? "(" + string.Join(", ", args) + ")"
            : t.Name[..t.Name.IndexOf('`')] + "<" + string.Join(", ", args) + ">";
    }

    /// <summary>The generic interface <paramref name="def"/> as implemented by <paramref name="type"/>, if it is.</summary>
    private static Type? Generic(Type type, Type def) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == def ? type
        : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == def);

    // ---- rebuilding ----------------------------------------------------------------------------

    /// <summary>The declared type if every item fits it, else the items' common runtime type, else object.</summary>
    private static Type Fit(Type declared, IReadOnlyList<object?> items) =>
        items.All(x => x is null || declared.IsInstanceOfType(x)) ? declared : CommonType(items);

    private static Type CommonType(IReadOnlyList<object?> items)
    {
        var types = items.OfType<object>().Select(x => x.GetType()).Distinct().ToList();
        return types.Count == 1 && !(items.Any(x => x is null) && types[0].IsValueType) ? types[0] : typeof(object);
    }

    /// <summary>An array of the items' common type: <c>Tensor[]</c> for tensors.</summary>
    public static Array ArrayOf(object?[] items)
    {
        var array = Array.CreateInstance(CommonType(items), items.Length);
        Array.Copy(items, array, items.Length);
        return array;
    }

    /// <summary>The element types of a tuple type, across its nested <c>Rest</c>.</summary>
    private static Type[] TupleTypes(Type t)
    {
        var args = t.GetGenericArguments();
        return args.Length == 8 ? [.. args[..7], .. TupleTypes(args[7])] : args;
    }

    public static object MakeTuple(Type original, object?[] items)
    {
        var declared = original.IsGenericType ? TupleTypes(original) : [];
        var types = items.Select((x, i) => Fit(i < declared.Length ? declared[i] : typeof(object), [x])).ToArray();
        return Tuple(original.IsValueType, types, items);
    }

    private static object Tuple(bool value, Type[] types, object?[] items)
    {
        if (items.Length == 0) return value ? new ValueTuple() : throw new ArgumentException("an empty System.Tuple does not exist");
        var n = Math.Min(items.Length, 8);
        var args = items.Length <= 7 ? items : [.. items[..7], Tuple(value, types[7..], items[7..])];
        var typeArgs = items.Length <= 7 ? types : [.. types[..7], args[7]!.GetType()];
        var def = Type.GetType($"System.{(value ? "ValueTuple" : "Tuple")}`{n}")!;
        return Activator.CreateInstance(def.MakeGenericType(typeArgs), args)!;
    }

    public static object MakeList(Type original, object?[] items)
    {
        var declared = original.IsArray ? original.GetElementType()! : Generic(original, typeof(IReadOnlyList<>))?.GetGenericArguments()[0]
            ?? Generic(original, typeof(IList<>))?.GetGenericArguments()[0] ?? typeof(object);
        var element = Fit(declared, items);
        var array = Array.CreateInstance(element, items.Length);
        Array.Copy(items, array, items.Length);
        if (original.IsGenericType && original.GetGenericTypeDefinition() == typeof(List<>))
            return Activator.CreateInstance(typeof(List<>).MakeGenericType(element), array)!;
        if (original.IsGenericType && original.GetGenericTypeDefinition() == typeof(ReadOnlyCollection<>))
            return Activator.CreateInstance(typeof(ReadOnlyCollection<>).MakeGenericType(element), array)!;
        return array;
    }

    public static object MakeDict(Type original, object? comparer, string[] keys, object?[] items)
    {
        var declared = (Generic(original, typeof(IDictionary<,>)) ?? Generic(original, typeof(IReadOnlyDictionary<,>)))?.GetGenericArguments()[1] ?? typeof(object);
        var value = Fit(declared, items);
        var def = original.IsGenericType ? original.GetGenericTypeDefinition() : null;
        var container = def == typeof(SortedDictionary<,>) ? typeof(SortedDictionary<,>) : typeof(Dictionary<,>);
        var type = container.MakeGenericType(typeof(string), value);
        var dict = (IDictionary)(comparer is not null && (def == typeof(Dictionary<,>) || def == typeof(SortedDictionary<,>))
            ? Activator.CreateInstance(type, comparer)!
            : Activator.CreateInstance(type)!);
        for (var i = 0; i < keys.Length; i++) dict.Add(keys[i], items[i]);
        return def == typeof(ReadOnlyDictionary<,>)
            ? Activator.CreateInstance(typeof(ReadOnlyDictionary<,>).MakeGenericType(typeof(string), value), dict)!
            : dict;
    }

    /// <summary>A rebuilt tree as the static type the caller declared, or an error saying why not.</summary>
    public static T As<T>(object? tree) => tree switch
    {
        T t => t,
        null when default(T) is null => default!,
        null => throw new ArgumentException($"got null (None) where a {Name(typeof(T))} was expected."),
        _ => throw new ArgumentException(
            $"a {Name(tree.GetType())} cannot be passed as {Name(typeof(T))}: rebuilt pytrees are value tuples, arrays, "
            + "List<T>, ReadOnlyCollection<T> and Dictionary<string, T> (SortedDictionary, ReadOnlyDictionary); "
            + "declare the parameter or result as one of these or as IReadOnlyList<T> / IReadOnlyDictionary<string, T>."),
    };
}
