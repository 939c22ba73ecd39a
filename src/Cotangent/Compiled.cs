// Compiled: the second AOT stage, jax.stages.Compiled: the optimized, fused program for one
// signature and its executable. One wrapper per core executable (a weak table), so compiling a
// signature twice returns the same object.
using System.Runtime.CompilerServices;
using Cotangent.Core;
using Value = Cotangent.Core.Tracing.Value;

namespace Cotangent;

/// <summary>A jitted function compiled for one signature of its arguments, like
/// <c>jax.stages.Compiled</c>: the optimized program (fused kernels, then loops) and its
/// executable. Made by <see cref="Lowered.Compile"/>.</summary>
public sealed class Compiled
{
    private static readonly ConditionalWeakTable<Jit.Compiled, Compiled> Wrappers = new();

    private readonly Jit.Compiled core;
    private readonly Aval[] avals;

    private Compiled(string name, Jit.Compiled core, Aval[] avals)
    {
        Name = name;
        this.core = core;
        this.avals = avals;
    }

    /// <summary>The one wrapper of a core executable (which is compiled once per region and flags).</summary>
    internal static Compiled Of(string name, Jit.Compiled core, Aval[] avals) =>
        Wrappers.GetValue(core, c => new Compiled(name, c, avals));

    /// <summary>The jitted function's name.</summary>
    public string Name { get; }

    /// <summary>The argument types it was compiled for, as JAX prints them (<c>f32[3]</c>).</summary>
    public IReadOnlyList<string> InTypes => avals.Select(AvalModule.str).ToArray();

    /// <summary>The optimized program, readable, like <c>jax.stages.Compiled.as_text()</c>: each
    /// fused kernel as a jaxpr-like <c>kernel.fusion</c> body, then the loop program
    /// (<c>loop.func</c>) that runs them. The first call runs the compile's passes again to
    /// rebuild it (a compiled program does not keep its optimized IR); later calls reuse it.</summary>
    /// <returns>The program text.</returns>
    public string AsText() => Jit.text(core);

    /// <summary>Runs the executable on concrete tensors of the compiled signature.</summary>
    /// <param name="args">The arguments, as many as the function takes, with the shapes and
    /// dtypes it was lowered for (weak typing aside).</param>
    /// <returns>The function's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="args"/> or an argument is null.</exception>
    /// <exception cref="ArgumentException">The number, shapes or dtypes of the arguments differ
    /// from the compiled signature (the message gives both), or an argument is a tracer (call
    /// the jitted function under transformations instead).</exception>
    public Tensor Invoke(params Tensor[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        foreach (var a in args) ArgumentNullException.ThrowIfNull(a, nameof(args));
        var given = args.Select(a => a.Aval).ToArray();
        if (given.Length != avals.Length || !given.Zip(avals).All(p => p.First.DType.Equals(p.Second.DType) && p.First.Shape.SequenceEqual(p.Second.Shape)))
            throw new ArgumentException(
                $"Compiled {Name}: the arguments' types differ from the types it was compiled for: " +
                $"expected {Signature(avals)}, got {Signature(given)}.", nameof(args));
        var arrays = args.Select(a => a.Value is Value.Concrete c
            ? c.Item
            : throw new ArgumentException($"Compiled {Name}: argument of type {AvalModule.str(a.Aval)} is a tracer; a compiled program runs on concrete tensors (call the jitted function under transformations).", nameof(args)));
        return Tensor.Of(Value.NewConcrete(core.Run.Invoke(Interop.List(arrays)).Head));
    }

    /// <inheritdoc cref="Invoke(Tensor[])"/>
    /// <param name="x">Argument 1.</param>
    public Tensor Invoke(Tensor x) => Invoke([x]);

    /// <inheritdoc cref="Invoke(Tensor[])"/>
    /// <param name="x">Argument 1.</param>
    /// <param name="y">Argument 2.</param>
    public Tensor Invoke(Tensor x, Tensor y) => Invoke([x, y]);

    /// <inheritdoc cref="Invoke(Tensor[])"/>
    /// <param name="x">Argument 1.</param>
    /// <param name="y">Argument 2.</param>
    /// <param name="z">Argument 3.</param>
    public Tensor Invoke(Tensor x, Tensor y, Tensor z) => Invoke([x, y, z]);

    /// <inheritdoc cref="Invoke(Tensor[])"/>
    /// <param name="x">Argument 1.</param>
    /// <param name="y">Argument 2.</param>
    /// <param name="z">Argument 3.</param>
    /// <param name="w">Argument 4.</param>
    public Tensor Invoke(Tensor x, Tensor y, Tensor z, Tensor w) => Invoke([x, y, z, w]);

    /// <summary>The program text (<see cref="AsText"/>).</summary>
    /// <returns>The optimized program.</returns>
    public override string ToString() => AsText();

    private static string Signature(Aval[] avals) =>
        "(" + string.Join(", ", avals.Select(AvalModule.str)) + (avals.Length == 1 ? ",)" : ")");
}
