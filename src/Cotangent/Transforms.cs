// Transforms: the transformations over C# functions of pytrees, which the Jax forwarders call.
// Each flattens the arguments to leaves (Flat), runs the F# core's transformation on the
// function of leaves, and rebuilds results with the argument and output structures, as JAX's
// api.py does with tree_flatten / tree_unflatten around its flat functions. Checks that need
// the trees (argnums against arguments, float inputs, tree structures, vmap axes of pytree
// arguments) are made here with messages in the core's words plus the leaf's path; all
// others are the core's.
using Cotangent.Core;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using Value = Cotangent.Core.Tracing.Value;

namespace Cotangent;

/// <summary>A C# function of pytree arguments, seen as the core's function of their leaves.</summary>
internal sealed class Flat
{
    private readonly Func<object?[], object?> f;
    private readonly string name;

    /// <summary>Each argument's structure.</summary>
    public readonly TreeDef[] InDefs;

    /// <summary>The index of each argument's first leaf; the last entry is the leaf count.</summary>
    public readonly int[] Starts;

    /// <summary>All arguments' leaves, in order.</summary>
    public readonly Tensor[] Leaves;

    /// <summary>The output's structure, known once <see cref="Call"/> has run.</summary>
    public TreeDef? OutDef { get; private set; }

    public Flat(string name, Func<object?[], object?> f, object?[] args)
    {
        this.name = name;
        this.f = f;
        var leaves = new List<Tensor>();
        InDefs = new TreeDef[args.Length];
        Starts = new int[args.Length + 1];
        for (var i = 0; i < args.Length; i++)
        {
            Starts[i] = leaves.Count;
            InDefs[i] = Pytree.Flatten(args[i], leaves);
        }
        Starts[^1] = leaves.Count;
        Leaves = leaves.ToArray();
    }

    public FSharpList<Value> Values => Interop.Values(Leaves);

    public IEnumerable<int> LeafIndices(int argnum) => Enumerable.Range(Starts[argnum], InDefs[argnum].LeafCount);

    /// <summary>The argument trees rebuilt from one object per leaf.</summary>
    public object?[] Args(IEnumerable<object?> leaves)
    {
        var items = leaves.ToArray();
        return InDefs.Select((d, i) => d.Unflatten(items[Starts[i]..Starts[i + 1]])).ToArray();
    }

    /// <summary>f on leaves: rebuilds the arguments, calls f, flattens its result (whose
    /// structure must be the same on every call).</summary>
    public FSharpList<Value> Call(FSharpList<Value> leaves)
    {
        var (outs, def) = Pytree.Flatten(f(Args(leaves.Select(Tensor.Of))));
        if (OutDef is null) OutDef = def;
        else if (!OutDef.Equals(def))
            Tracing.fail<Unit>(name, $"the function returned {def} after {OutDef}; its output structure must not depend on the values of its arguments");
        return Interop.Values(outs);
    }

    public FSharpFunc<FSharpList<Value>, FSharpList<Value>> Fun => Interop.Func<FSharpList<Value>, FSharpList<Value>>(Call);

    /// <summary>The output tree rebuilt from one object per output leaf.</summary>
    public object? Out(IEnumerable<object?> leaves) => OutDef!.Unflatten(leaves);

    public object? Out(IEnumerable<Value> leaves) => Out(leaves.Select(v => (object?)Tensor.Of(v)));

    /// <summary>The output, which must be a single tensor (grad, hessian).</summary>
    public Value Single(FSharpList<Value> outs, string detail)
    {
        if (OutDef is { IsLeaf: false }) Tracing.fail<Unit>(name, $"requires {detail}, got a pytree {OutDef} of {Avals(outs)}");
        return outs.Head;
    }

    /// <summary>A leaf's description in messages: "argument 1" or "argument 1 at ['w'][0]".</summary>
    public string Describe(int leaf)
    {
        var arg = 0;
        while (leaf >= Starts[arg + 1]) arg++;
        var path = InDefs[arg].LeafPaths().ElementAt(leaf - Starts[arg]);
        return path == "" ? $"argument {arg}" : $"argument {arg} at {path}";
    }

    public static string Avals(IEnumerable<Value> vs) => "(" + string.Join(", ", vs.Select(v => AvalModule.str(Tracing.ValueModule.aval(v)))) + ")";
}

/// <summary>The transformations on functions of pytrees (object arrays of argument trees).</summary>
internal static class Transforms
{
    private const string GradHint = "; convert it with astype(float32) or leave it out of argnums";

    /// <summary>argnums with negatives counted from the end, each checked against the arguments.</summary>
    private static int[] Argnums(string name, int[] argnums, int count)
    {
        ArgumentNullException.ThrowIfNull(argnums);
        return argnums.Select(i => i < -count || i >= count
            ? Tracing.fail<int>(name, $"argnums {i} is out of range for a function of {count} argument(s)")
            : i < 0 ? i + count : i).ToArray();
    }

    private static void CheckFloat(string name, Flat flat, IEnumerable<int> leaves, string hint)
    {
        foreach (var i in leaves)
        {
            var aval = flat.Leaves[i].Aval;
            if (!DTypeModule.isFloat(aval.DType))
                Tracing.fail<Unit>(name, $"requires real-valued (float) inputs, but {flat.Describe(i)} is {AvalModule.str(aval)}{hint}");
        }
    }

    private static FSharpList<int> LeafArgnums(Flat flat, int[] argnums) => Interop.List(argnums.SelectMany(flat.LeafIndices));

    /// <summary>Per-leaf results of the leaves of the arguments at argnums, as one tree per argnum.</summary>
    private static object?[] PerArg(Flat flat, int[] argnums, IEnumerable<object?> results)
    {
        var items = results.ToArray();
        var offset = 0;
        return argnums.Select(a =>
        {
            var n = flat.InDefs[a].LeafCount;
            offset += n;
            return flat.InDefs[a].Unflatten(items[(offset - n)..offset]);
        }).ToArray();
    }

    private static IEnumerable<object?> Tensors(IEnumerable<Value> vs) => vs.Select(v => (object?)Tensor.Of(v));

    /// <summary>Leaves of one tree per argument, checked against the arguments' structures
    /// (and, with <paramref name="avals"/>, shapes and dtypes).</summary>
    private static List<Tensor> LeavesLike(string name, string role, Flat flat, object?[] trees, IReadOnlyList<Aval>? avals)
    {
        if (trees.Length != flat.InDefs.Length)
            Tracing.fail<Unit>(name, $"takes one {role} per argument ({flat.InDefs.Length}), got {trees.Length}");
        var leaves = new List<Tensor>();
        for (var i = 0; i < trees.Length; i++)
        {
            var def = Pytree.Flatten(trees[i], leaves);
            if (!def.Equals(flat.InDefs[i]))
                Tracing.fail<Unit>(name, $"primal and {role} arguments must have the same tree structure, but argument {i} has primal structure {flat.InDefs[i]} and {role} structure {def}");
        }
        if (avals is not null)
            for (var i = 0; i < leaves.Count; i++)
                if (!leaves[i].Aval.Shape.SequenceEqual(avals[i].Shape) || !leaves[i].Aval.DType.Equals(avals[i].DType))
                    Tracing.fail<Unit>(name, $"a {role} must have its primal's shape and dtype, but {flat.Describe(i)} is {AvalModule.str(avals[i])} and its {role} {AvalModule.str(leaves[i].Aval)}");
        return leaves;
    }

    /// <summary>A cotangent tree's leaves, checked against the output's structure and avals.</summary>
    private static FSharpList<Value> Cotangents(string name, TreeDef outDef, IReadOnlyList<Value> outs, object? ct)
    {
        var (leaves, def) = Pytree.Flatten(ct);
        if (!def.Equals(outDef))
            Tracing.fail<Unit>(name, $"the cotangent's tree structure {def} does not match the primal output's {outDef}");
        for (var i = 0; i < leaves.Count; i++)
        {
            var o = Tracing.ValueModule.aval(outs[i]);
            if (!leaves[i].Aval.Shape.SequenceEqual(o.Shape) || !leaves[i].Aval.DType.Equals(o.DType))
                Tracing.fail<Unit>(name, $"a cotangent must have its output's shape and dtype, but output leaf {i} is {AvalModule.str(o)} and its cotangent {AvalModule.str(leaves[i].Aval)}");
        }
        return Interop.Values(leaves);
    }

    public static ClosedJaxpr MakeJaxpr(Func<object?[], object?> f, object?[] args)
    {
        var flat = new Flat("make_jaxpr", f, args);
        return new(Api.makeJaxpr(flat.Fun, flat.Values));
    }

    /// <summary>jax.value_and_grad: f's value, its aux (with hasAux: f returns (value, aux)),
    /// and one gradient tree per argnum.</summary>
    public static (Tensor Value, object? Aux, object?[] Grads) ValueAndGrad(Func<object?[], object?> f, object?[] args, int[] argnums, bool hasAux)
    {
        var flat = new Flat("grad", f, args);
        var nums = Argnums("grad", argnums, args.Length);
        CheckFloat("grad", flat, nums.SelectMany(flat.LeafIndices), GradHint);
        if (!hasAux)
        {
            var r = Api.valueAndGrad(
                Interop.Func<FSharpList<Value>, Value>(vs => flat.Single(flat.Call(vs), "a scalar output (pass hasAux: true for a function returning (value, aux))")),
                LeafArgnums(flat, nums), flat.Values);
            return (Tensor.Of(r.Item1), null, PerArg(flat, nums, Tensors(r.Item2)));
        }
        var withAux = Interop.Func<FSharpList<Value>, Tuple<Value, FSharpList<Value>>>(vs =>
        {
            var outs = flat.Call(vs);
            if (flat.OutDef is not { Node: TreeDef.Kind.Tuple, Children: [{ IsLeaf: true }, _] })
                Tracing.fail<Unit>("grad", $"with hasAux the function must return (a tensor, aux), got {flat.OutDef}");
            return Tuple.Create(outs.Head, outs.Tail);
        });
        var (value, grads, aux) = Api.valueAndGradAux(withAux, LeafArgnums(flat, nums), flat.Values);
        return (Tensor.Of(value), flat.OutDef!.Children[1].Unflatten(Tensors(aux)), PerArg(flat, nums, Tensors(grads)));
    }

    /// <summary>jax.jvp: the output and the output tangent trees.</summary>
    public static (object? Out, object? Tangent) Jvp(Func<object?[], object?> f, object?[] primals, object?[] tangents)
    {
        var flat = new Flat("jvp", f, primals);
        var ts = LeavesLike("jvp", "tangent", flat, tangents, null);
        var (outs, touts) = Api.jvp(flat.Fun, flat.Values, Interop.Values(ts));
        return (flat.Out(outs), flat.Out(touts));
    }

    /// <summary>jax.vjp: the output tree and the pullback from an output cotangent tree to one
    /// cotangent tree per argument.</summary>
    public static (object? Out, Func<object?, object?[]> Pullback) Vjp(Func<object?[], object?> f, object?[] primals)
    {
        var flat = new Flat("vjp", f, primals);
        var (outs, pullback) = Api.vjp(flat.Fun, flat.Values);
        var outDef = flat.OutDef!;
        var outList = outs.ToArray();
        return (flat.Out(outs), ct => flat.Args(Tensors(pullback.Invoke(Cotangents("vjp", outDef, outList, ct)))));
    }

    /// <summary>jax.linearize: the output tree and the linear map from argument tangent trees to
    /// the output tangent tree (evaluating the linearized jaxpr, not re-tracing f).</summary>
    public static (object? Out, Func<object?[], object?> Jvp) Linearize(Func<object?[], object?> f, object?[] primals)
    {
        var flat = new Flat("linearize", f, primals);
        var (outs, lin) = Api.linearize(flat.Fun, flat.Values);
        var avals = lin.InAvals.ToArray();
        return (flat.Out(outs), tangents => flat.Out(Api.applyLinear(lin, Interop.Values(LeavesLike("linearize", "tangent", flat, tangents, avals)))));
    }

    /// <summary>jax.linear_transpose: the transpose of the linear f at the primals' shapes and
    /// dtypes, from an output cotangent tree to one cotangent tree per argument. It linearizes f
    /// at zeros, which for a linear f is f itself.</summary>
    public static Func<object?, object?[]> LinearTranspose(Func<object?[], object?> f, object?[] primals)
    {
        var flat = new Flat("linear_transpose", f, primals);
        CheckFloat("linear_transpose", flat, Enumerable.Range(0, flat.Leaves.Length), "");
        var zeros = flat.Leaves.Select(x => Jnp.Zeros(x.Shape, x.DType));
        var (outs, lin) = Api.linearize(flat.Fun, Interop.Values(zeros));
        var outList = outs.ToArray();
        foreach (var o in outList)
            if (!DTypeModule.isFloat(Tracing.ValueModule.aval(o).DType))
                Tracing.fail<Unit>("linear_transpose", $"requires real-valued (float) outputs, got {Flat.Avals(outList)}");
        var outDef = flat.OutDef!;
        return ct => flat.Args(Tensors(Api.transposeLinear(lin, Cotangents("linear_transpose", outDef, outList, ct))));
    }

    /// <summary>jax.jacfwd / jax.jacrev: the output tree with each leaf replaced by its
    /// Jacobian: the tree of the argument at argnums[0], or (<paramref name="many"/>) an array of
    /// one tree per argnum.</summary>
    public static object? Jacobian(bool forward, Func<object?[], object?> f, object?[] args, int[] argnums, bool many)
    {
        var name = forward ? "jacfwd" : "jacrev";
        var flat = new Flat(name, f, args);
        var nums = Argnums(name, argnums, args.Length);
        CheckFloat(name, flat, nums.SelectMany(flat.LeafIndices), "");
        var jac = forward ? Api.jacfwd(flat.Fun, LeafArgnums(flat, nums), flat.Values) : Api.jacrev(flat.Fun, LeafArgnums(flat, nums), flat.Values);
        return flat.Out(jac.Select(row => Pick(PerArg(flat, nums, Tensors(row)), many)));
    }

    private static object? Pick(object?[] perArg, bool many) => many ? Pytree.ArrayOf(perArg) : perArg[0];

    /// <summary>jax.hessian = jacfwd(jacrev(f)) of a function with one tensor output: for
    /// argnums i, j, the tree of argument i whose leaves are trees of argument j (arrays over
    /// argnums when <paramref name="many"/>).</summary>
    public static object? Hessian(Func<object?[], object?> f, object?[] args, int[] argnums, bool many)
    {
        var flat = new Flat("hessian", f, args);
        var nums = Argnums("hessian", argnums, args.Length);
        CheckFloat("hessian", flat, nums.SelectMany(flat.LeafIndices), "");
        var rows = Api.hessian(Interop.Func<FSharpList<Value>, Value>(vs => flat.Single(flat.Call(vs), "a single tensor output")), LeafArgnums(flat, nums), flat.Values)
            .Select(row => Pick(PerArg(flat, nums, Tensors(row)), many));
        return Pick(PerArg(flat, nums, rows), many);
    }

    private static FSharpList<FSharpOption<int>?> Axes(IEnumerable<int?> axes) =>
        Interop.List(axes.Select(a => a is int k ? FSharpOption<int>.Some(k) : null));

    /// <summary>jax.vmap with one axis (or null) per argument, shared by its leaves, and one out
    /// axis for every output leaf.</summary>
    public static object? Vmap(Func<object?[], object?> f, object?[] args, int?[] inAxes, int? outAxes)
    {
        ArgumentNullException.ThrowIfNull(inAxes);
        var flat = new Flat("vmap", f, args);
        if (inAxes.Length != args.Length)
            Tracing.fail<Unit>("vmap", $"in_axes must have one entry (an axis or None) per positional argument of the function, but got len(in_axes)={inAxes.Length}, len(args)={args.Length}");
        var leafAxes = Enumerable.Range(0, args.Length).SelectMany(i => flat.LeafIndices(i).Select(_ => inAxes[i])).ToArray();
        // the core names leaves by index: check pytree arguments here, naming their paths
        if (!flat.InDefs.All(d => d.IsLeaf)) CheckAxes(flat, leafAxes);
        return flat.Out(Api.vmapAllOut(flat.Fun, Axes(leafAxes), outAxes is int k ? FSharpOption<int>.Some(k) : null, flat.Values));
    }

    private static void CheckAxes(Flat flat, int?[] axes)
    {
        var mapped = new List<(int Leaf, Aval Aval, int Axis)>();
        for (var i = 0; i < axes.Length; i++)
        {
            if (axes[i] is not int ax) continue;
            var a = flat.Leaves[i].Aval;
            var r = a.Shape.Length;
            if (ax < -r || ax >= r)
                Tracing.fail<Unit>("vmap", $"{flat.Describe(i)} cannot be mapped along axis {ax}, which implies a rank of at least {(ax >= 0 ? ax + 1 : -ax)}, but {flat.Describe(i)} is {AvalModule.str(a)} (rank {r}, shape {Core.Shape.pyTuple(a.Shape)})");
            mapped.Add((i, a, ax < 0 ? ax + r : ax));
        }
        if (mapped.Select(m => m.Aval.Shape[m.Axis]).Distinct().Count() > 1)
            Tracing.fail<Unit>("vmap", "got inconsistent sizes for array axes to be mapped: "
                + string.Join("; ", mapped.Select(m => $"{flat.Describe(m.Leaf)} of type {AvalModule.str(m.Aval)} has size {m.Aval.Shape[m.Axis]} along axis {m.Axis}")));
    }

    /// <summary>jax.test_util.check_grads on the function of leaves.</summary>
    public static void CheckGrads(Func<object?[], object?> f, object?[] args, int order, GradCheckModes modes, int seed)
    {
        if (order < 1) throw new ArgumentOutOfRangeException(nameof(order), order, "check_grads: order must be at least 1.");
        if (modes == 0 || (modes & ~(GradCheckModes.Fwd | GradCheckModes.Rev)) != 0)
            throw new ArgumentOutOfRangeException(nameof(modes), modes, "check_grads: modes must be Fwd, Rev or both.");
        var flat = new Flat("check_grads", f, args);
        var list = new List<GradCheck.Mode>();
        if (modes.HasFlag(GradCheckModes.Fwd)) list.Add(GradCheck.Mode.Fwd);
        if (modes.HasFlag(GradCheckModes.Rev)) list.Add(GradCheck.Mode.Rev);
        GradCheck.checkGrads(flat.Fun, flat.Values, order, Interop.List(list), seed);
    }
}

/// <summary>C# functions of 1-4 pytree arguments as functions of an object array of argument
/// trees, each cast back to its declared type.</summary>
internal static class Fn
{
    public static Func<object?[], object?> Of<T1, TR>(Func<T1, TR> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return a => f(Pytree.As<T1>(a[0]));
    }

    public static Func<object?[], object?> Of<T1, T2, TR>(Func<T1, T2, TR> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return a => f(Pytree.As<T1>(a[0]), Pytree.As<T2>(a[1]));
    }

    public static Func<object?[], object?> Of<T1, T2, T3, TR>(Func<T1, T2, T3, TR> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return a => f(Pytree.As<T1>(a[0]), Pytree.As<T2>(a[1]), Pytree.As<T3>(a[2]));
    }

    public static Func<object?[], object?> Of<T1, T2, T3, T4, TR>(Func<T1, T2, T3, T4, TR> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return a => f(Pytree.As<T1>(a[0]), Pytree.As<T2>(a[1]), Pytree.As<T3>(a[2]), Pytree.As<T4>(a[3]));
    }

    /// <summary>Tensors from an object array (results over tensor arguments).</summary>
    public static Tensor[] Tensors(object?[] xs) => xs.Select(x => (Tensor)x!).ToArray();

    /// <summary>A value tuple of two to four trees as an object array.</summary>
    public static object?[] Items(System.Runtime.CompilerServices.ITuple t) => Enumerable.Range(0, t.Length).Select(i => t[i]).ToArray();
}
