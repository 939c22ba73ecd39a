// ClosedJaxpr: what Jax.MakeJaxpr returns, a traced program and its constants. Its text is
// exactly JAX's make_jaxpr output.
using Cotangent.Core.Dialects;
using CoreJaxpr = Cotangent.Core.ClosedJaxpr<Cotangent.Core.Dialects.Lax.Prim>;

namespace Cotangent;

/// <summary>A traced program in JAX's jaxpr form, with the values of its constants, like the
/// <c>ClosedJaxpr</c> that <c>jax.make_jaxpr</c> returns.</summary>
public sealed class ClosedJaxpr
{
    internal readonly CoreJaxpr Core;

    internal ClosedJaxpr(CoreJaxpr core) => Core = core;

    /// <summary>The number of equations at the top level.</summary>
    public int EquationCount => Core.Jaxpr.Eqns.Length;

    /// <summary>The input types, as JAX prints them (<c>f32[3]</c>).</summary>
    public IReadOnlyList<string> InTypes => Core.Jaxpr.InVars.Select(v => Cotangent.Core.AvalModule.str(v.Aval)).ToArray();

    /// <summary>The output types, as JAX prints them.</summary>
    public IReadOnlyList<string> OutTypes => Core.Jaxpr.OutVars.Select(a => Cotangent.Core.AvalModule.str(Cotangent.Core.AtomModule.aval(a))).ToArray();

    /// <summary>The constants the program closes over (its constvars' values).</summary>
    public IReadOnlyList<Tensor> Consts => Core.Consts.Select(c => new Tensor(Cotangent.Core.Tracing.Value.NewConcrete(c))).ToArray();

    /// <summary>Problems the IR verifier finds (SSA form, types against each primitive's rule);
    /// empty for every jaxpr that tracing builds.</summary>
    /// <returns>One message per problem, naming the equation.</returns>
    public IReadOnlyList<string> Verify() => LaxVerify.verify(Core.Jaxpr).ToArray();

    /// <summary>The jaxpr, byte for byte as <c>jax.make_jaxpr</c> prints it.</summary>
    /// <returns>The text, e.g. <c>{ lambda ; a:f32[]. let b:f32[] = sin a in (b,) }</c>.</returns>
    public override string ToString() => LaxText.print(Core.Jaxpr);
}
