// JitFunction: what Jax.Jit returns. A C# function of tensors staged once per signature (shapes,
// dtypes, weak types) into a closed jaxpr, which a call binds as one pjit equation: every
// transformation keeps it (JAX's pjit rules), and an eager call runs it through the core's
// compiled executable. One sealed class per arity (JitFunction1..4) adds the exact-arity Invoke,
// Lower (the AOT stages, jax.stages) and an implicit conversion to the matching Func, so
// Jax.Grad(Jax.Jit(F)) binds like Jax.Grad(F).
using Cotangent.Core;
using Microsoft.FSharp.Collections;
using Value = Cotangent.Core.Tracing.Value;

namespace Cotangent;

/// <summary>A function compiled by <see cref="Jax.Jit(Func{Tensor, Tensor})"/>, like the result of
/// <c>jax.jit</c>: traced once per signature of its arguments (shapes, dtypes and weak types)
/// into a jaxpr that each call applies as one <c>pjit</c> equation.</summary>
public abstract class JitFunction
{
    private readonly Api.Jitted jitted;
    private readonly Api.JitConfig config;

    private protected JitFunction(Delegate original, Func<Tensor[], Tensor> f, JitOptions? options)
    {
        ArgumentNullException.ThrowIfNull(original, "f");
        var name = NameOf(original);
        Name = name;
        Options = options ?? new JitOptions();
        config = Options.ToConfig();
        jitted = new Api.Jitted(name, Interop.Func<FSharpList<Value>, FSharpList<Value>>(
            values => ListModule.OfSeq([f(values.Select(Tensor.Of).ToArray()).Value])), config);
    }

    /// <summary>The options it compiles with.</summary>
    public JitOptions Options { get; }

    /// <summary>The name of the <c>pjit</c> equations it binds (the C# method's name, or
    /// <c>&lt;lambda&gt;</c> for a lambda, as Python names a lambda).</summary>
    public string Name { get; }

    /// <summary>How many times the function has been traced: once per new signature of its
    /// arguments while the cache (64 signatures) holds it.</summary>
    public int TraceCount => jitted.TraceCount;

    /// <summary>f applied to <paramref name="args"/>: the region runs on concrete tensors outside
    /// any transformation, and is bound as a pjit under one.</summary>
    private protected Tensor Apply(params Tensor[] args)
    {
        foreach (var a in args) ArgumentNullException.ThrowIfNull(a, nameof(args));
        return Tensor.Of(jitted.Call(Interop.Values(args)).Head);
    }

    /// <summary>The region traced (or found in the cache) for the arguments' signature.</summary>
    private protected Lowered LowerAt(params Tensor[] args)
    {
        foreach (var a in args) ArgumentNullException.ThrowIfNull(a, nameof(args));
        var avals = args.Select(a => a.Aval).ToArray();
        var (region, captured) = jitted.Region(Interop.List(avals));
        if (!captured.IsEmpty)
            throw new ArgumentException(
                $"jit: {Name} closes over {captured.Length} value(s) of an enclosing transformation; it can be lowered only where it is called.", nameof(args));
        return new Lowered(Name, region, avals, config);
    }

    /// <summary>The name JAX would give: a method's name, a local function's name, or
    /// <c>&lt;lambda&gt;</c> for a lambda.</summary>
    private protected static string NameOf(Delegate f)
    {
        var name = f.Method.Name;
        // C# local functions compile to <Outer>g__Name|k_m and lambdas to <Outer>b__k_m
        var local = name.IndexOf(">g__", StringComparison.Ordinal);
        if (local >= 0)
        {
            var start = local + 4;
            var end = name.IndexOf('|', start);
            return end > start ? name[start..end] : name[start..];
        }
        return name.StartsWith('<') ? "<lambda>" : name;
    }
}

/// <summary>A jitted function of one tensor (see <see cref="JitFunction"/>): call it with
/// <see cref="Invoke"/>, or pass it wherever a <c>Func&lt;Tensor, Tensor&gt;</c> is taken.</summary>
public sealed class JitFunction1 : JitFunction
{
    internal JitFunction1(Func<Tensor, Tensor> f, JitOptions? options) : base(f, a => f(a[0]), options) { }

    /// <summary>Calls the jitted function: traces it if the arguments' signature is new, then
    /// applies its jaxpr (eagerly, or as a <c>pjit</c> under a transformation).</summary>
    /// <param name="x">Argument 1 of the function.</param>
    /// <returns>The function's result.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">Tracing fails: a primitive rejects its operands, or
    /// the function reads a traced value as a concrete one (a
    /// <see cref="Core.Tracing.ConcretizationException"/> naming the call site).</exception>
    public Tensor Invoke(Tensor x) => Apply(x);

    /// <summary>Lowers the function for its arguments' signature, like
    /// <c>jax.jit(f).lower(args)</c>: traces it (or takes the traced program from the cache)
    /// without running it. Only the arguments' shapes, dtypes and weak types matter.</summary>
    /// <param name="x">Argument 1 of the function (a tensor, or a C# scalar).</param>
    /// <returns>The lowered program: <see cref="Lowered.AsText"/> prints it,
    /// <see cref="Lowered.Compile"/> compiles it.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">Tracing fails (see <see cref="Invoke"/>), or the
    /// function closes over tracers of an enclosing transformation.</exception>
    public Lowered Lower(Tensor x) => LowerAt(x);

    /// <summary>The jitted function as a delegate of the original arity.</summary>
    /// <param name="f">The jitted function.</param>
    /// <returns>A delegate calling <see cref="Invoke"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static implicit operator Func<Tensor, Tensor>(JitFunction1 f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return f.Invoke;
    }
}

/// <summary>A jitted function of two tensors (see <see cref="JitFunction"/>): call it with
/// <see cref="Invoke"/>, or pass it wherever a <c>Func&lt;Tensor, Tensor, Tensor&gt;</c> is taken.</summary>
public sealed class JitFunction2 : JitFunction
{
    internal JitFunction2(Func<Tensor, Tensor, Tensor> f, JitOptions? options) : base(f, a => f(a[0], a[1]), options) { }

    /// <summary>Calls the jitted function: traces it if the arguments' signature is new, then
    /// applies its jaxpr (eagerly, or as a <c>pjit</c> under a transformation).</summary>
    /// <param name="x">Argument 1 of the function.</param>
    /// <param name="y">Argument 2 of the function.</param>
    /// <returns>The function's result.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">Tracing fails: a primitive rejects its operands, or
    /// the function reads a traced value as a concrete one (a
    /// <see cref="Core.Tracing.ConcretizationException"/> naming the call site).</exception>
    public Tensor Invoke(Tensor x, Tensor y) => Apply(x, y);

    /// <summary>Lowers the function for its arguments' signature, like
    /// <c>jax.jit(f).lower(args)</c>: traces it (or takes the traced program from the cache)
    /// without running it. Only the arguments' shapes, dtypes and weak types matter.</summary>
    /// <param name="x">Argument 1 of the function (a tensor, or a C# scalar).</param>
    /// <param name="y">Argument 2 of the function (a tensor, or a C# scalar).</param>
    /// <returns>The lowered program: <see cref="Lowered.AsText"/> prints it,
    /// <see cref="Lowered.Compile"/> compiles it.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">Tracing fails (see <see cref="Invoke"/>), or the
    /// function closes over tracers of an enclosing transformation.</exception>
    public Lowered Lower(Tensor x, Tensor y) => LowerAt(x, y);

    /// <summary>The jitted function as a delegate of the original arity.</summary>
    /// <param name="f">The jitted function.</param>
    /// <returns>A delegate calling <see cref="Invoke"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static implicit operator Func<Tensor, Tensor, Tensor>(JitFunction2 f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return f.Invoke;
    }
}

/// <summary>A jitted function of three tensors (see <see cref="JitFunction"/>): call it with
/// <see cref="Invoke"/>, or pass it wherever a <c>Func&lt;Tensor, Tensor, Tensor, Tensor&gt;</c> is taken.</summary>
public sealed class JitFunction3 : JitFunction
{
    internal JitFunction3(Func<Tensor, Tensor, Tensor, Tensor> f, JitOptions? options) : base(f, a => f(a[0], a[1], a[2]), options) { }

    /// <summary>Calls the jitted function: traces it if the arguments' signature is new, then
    /// applies its jaxpr (eagerly, or as a <c>pjit</c> under a transformation).</summary>
    /// <param name="x">Argument 1 of the function.</param>
    /// <param name="y">Argument 2 of the function.</param>
    /// <param name="z">Argument 3 of the function.</param>
    /// <returns>The function's result.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">Tracing fails: a primitive rejects its operands, or
    /// the function reads a traced value as a concrete one (a
    /// <see cref="Core.Tracing.ConcretizationException"/> naming the call site).</exception>
    public Tensor Invoke(Tensor x, Tensor y, Tensor z) => Apply(x, y, z);

    /// <summary>Lowers the function for its arguments' signature, like
    /// <c>jax.jit(f).lower(args)</c>: traces it (or takes the traced program from the cache)
    /// without running it. Only the arguments' shapes, dtypes and weak types matter.</summary>
    /// <param name="x">Argument 1 of the function (a tensor, or a C# scalar).</param>
    /// <param name="y">Argument 2 of the function (a tensor, or a C# scalar).</param>
    /// <param name="z">Argument 3 of the function (a tensor, or a C# scalar).</param>
    /// <returns>The lowered program: <see cref="Lowered.AsText"/> prints it,
    /// <see cref="Lowered.Compile"/> compiles it.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">Tracing fails (see <see cref="Invoke"/>), or the
    /// function closes over tracers of an enclosing transformation.</exception>
    public Lowered Lower(Tensor x, Tensor y, Tensor z) => LowerAt(x, y, z);

    /// <summary>The jitted function as a delegate of the original arity.</summary>
    /// <param name="f">The jitted function.</param>
    /// <returns>A delegate calling <see cref="Invoke"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static implicit operator Func<Tensor, Tensor, Tensor, Tensor>(JitFunction3 f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return f.Invoke;
    }
}

/// <summary>A jitted function of four tensors (see <see cref="JitFunction"/>): call it with
/// <see cref="Invoke"/>, or pass it wherever a <c>Func&lt;Tensor, Tensor, Tensor, Tensor, Tensor&gt;</c> is taken.</summary>
public sealed class JitFunction4 : JitFunction
{
    internal JitFunction4(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f, JitOptions? options) : base(f, a => f(a[0], a[1], a[2], a[3]), options) { }

    /// <summary>Calls the jitted function: traces it if the arguments' signature is new, then
    /// applies its jaxpr (eagerly, or as a <c>pjit</c> under a transformation).</summary>
    /// <param name="x">Argument 1 of the function.</param>
    /// <param name="y">Argument 2 of the function.</param>
    /// <param name="z">Argument 3 of the function.</param>
    /// <param name="w">Argument 4 of the function.</param>
    /// <returns>The function's result.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">Tracing fails: a primitive rejects its operands, or
    /// the function reads a traced value as a concrete one (a
    /// <see cref="Core.Tracing.ConcretizationException"/> naming the call site).</exception>
    public Tensor Invoke(Tensor x, Tensor y, Tensor z, Tensor w) => Apply(x, y, z, w);

    /// <summary>Lowers the function for its arguments' signature, like
    /// <c>jax.jit(f).lower(args)</c>: traces it (or takes the traced program from the cache)
    /// without running it. Only the arguments' shapes, dtypes and weak types matter.</summary>
    /// <param name="x">Argument 1 of the function (a tensor, or a C# scalar).</param>
    /// <param name="y">Argument 2 of the function (a tensor, or a C# scalar).</param>
    /// <param name="z">Argument 3 of the function (a tensor, or a C# scalar).</param>
    /// <param name="w">Argument 4 of the function (a tensor, or a C# scalar).</param>
    /// <returns>The lowered program: <see cref="Lowered.AsText"/> prints it,
    /// <see cref="Lowered.Compile"/> compiles it.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">Tracing fails (see <see cref="Invoke"/>), or the
    /// function closes over tracers of an enclosing transformation.</exception>
    public Lowered Lower(Tensor x, Tensor y, Tensor z, Tensor w) => LowerAt(x, y, z, w);

    /// <summary>The jitted function as a delegate of the original arity.</summary>
    /// <param name="f">The jitted function.</param>
    /// <returns>A delegate calling <see cref="Invoke"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static implicit operator Func<Tensor, Tensor, Tensor, Tensor, Tensor>(JitFunction4 f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return f.Invoke;
    }
}
