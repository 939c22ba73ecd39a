// Composites: jax.numpy functions that JAX writes as small jitted programs of lax primitives and
// that the F# core does not provide; each stages the same pjit region JAX's version stages.
using Cotangent.Core;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using Value = Cotangent.Core.Tracing.Value;
using L = Cotangent.Core.LaxOps;
using N = Cotangent.Core.Numpy;

namespace Cotangent;

internal static class Composites
{
    /// <summary>jnp.remainder (floored modulo, the divisor's sign), as JAX's ufuncs.remainder:
    /// promote, replace integer zero divisors by one, then adjust lax.rem's truncated result.</summary>
    public static Value Remainder(Value x, Value y) =>
        N.pjitCall("remainder", FuncConvert.FromFunc<FSharpList<Value>, FSharpList<Value>>(RemainderBody), Interop.List([x, y])).Head;

    private static FSharpList<Value> RemainderBody(FSharpList<Value> args)
    {
        var promoted = N.promoteShapes(N.promoteDtypes(args));
        Value x1 = promoted[0], x2 = promoted[1];
        var x2Aval = Tracing.ValueModule.aval(x2);
        var zero = Value.NewConcrete(NdArrayModule.scalar(Tracing.ValueModule.aval(x1).DType, false, 0.0));
        if (DTypeModule.isInteger(x2Aval.DType))
        {
            var isZero = N.equal(x2, Value.NewConcrete(NdArrayModule.scalar(Core.DType.I32, true, 0.0)));
            var ones = NumpyArrays.full(x2Aval.DType, ListModule.OfArray(x2Aval.Shape), 1.0);
            x2 = N.where(isZero, ones, x2);
        }
        var truncMod = L.rem(x1, x2);
        var doPlus = L.bitwiseAnd(L.ne(L.lt(truncMod, zero), L.lt(x2, zero)), L.ne(truncMod, zero));
        return Interop.List([L.select(doPlus, L.add(truncMod, x2), truncMod)]);
    }
}
