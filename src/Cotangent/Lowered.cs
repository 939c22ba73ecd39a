// Lowered: the first AOT stage, jax.stages.Lowered: a jitted function traced for one signature
// into its lax jaxpr, before any optimization. Compile() hands the same traced region to the
// core's executable cache that the jitted function's calls use, so both share one executable.
using Cotangent.Core;
using Cotangent.Core.Dialects;
using CoreJaxpr = Cotangent.Core.ClosedJaxpr<Cotangent.Core.Dialects.Lax.Prim>;

namespace Cotangent;

/// <summary>A jitted function lowered for one signature of its arguments, like
/// <c>jax.stages.Lowered</c>: the traced program before optimization. Made by
/// <c>JitFunctionN.Lower</c> (for instance <see cref="JitFunction2.Lower(Tensor, Tensor)"/>).</summary>
public sealed class Lowered
{
    private readonly CoreJaxpr region;
    private readonly Aval[] avals;
    private readonly Api.JitConfig config;

    internal Lowered(string name, CoreJaxpr region, Aval[] avals, Api.JitConfig config)
    {
        Name = name;
        this.region = region;
        this.avals = avals;
        this.config = config;
    }

    /// <summary>The jitted function's name.</summary>
    public string Name { get; }

    /// <summary>The argument types it was lowered for, as JAX prints them (<c>f32[3]</c>).</summary>
    public IReadOnlyList<string> InTypes => avals.Select(AvalModule.str).ToArray();

    /// <summary>The traced program as a <see cref="ClosedJaxpr"/>, equal to what
    /// <c>Jax.MakeJaxpr</c> of the function returns for the same arguments.</summary>
    public ClosedJaxpr Jaxpr => new(region);

    /// <summary>The program before optimization, in JAX's jaxpr text form, like
    /// <c>jax.jit(f).lower(args).as_text()</c>.</summary>
    /// <returns>The jaxpr text, byte for byte what <c>Jax.MakeJaxpr(f)(args).ToString()</c> prints.</returns>
    public string AsText() => LaxText.print(region.Jaxpr);

    /// <summary>Optimizes and compiles the program through the pass pipeline (with the jitted
    /// function's <see cref="JitOptions"/>, after <c>COTANGENT_FLAGS</c>), like
    /// <c>jax.stages.Lowered.compile()</c>. The executable is cached per signature and flags and
    /// is the one the jitted function's calls run: compiling twice returns the same object.</summary>
    /// <returns>The compiled program, callable with <see cref="Compiled.Invoke(Tensor[])"/>.</returns>
    /// <exception cref="ArgumentException">The flags name an unknown pass (a
    /// <see cref="Core.CotangentException"/> naming it), or a pass or the verifier fails.</exception>
    public Compiled Compile() => Compiled.Of(Name, Api.compiled(config, region), avals);

    /// <summary>The program text (<see cref="AsText"/>).</summary>
    /// <returns>The jaxpr text.</returns>
    public override string ToString() => AsText();
}
