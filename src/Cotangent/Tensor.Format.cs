// Tensor.Format: the text of a tensor, as JAX's repr prints a jax.Array (numpy's array2string
// inside `Array(..., dtype=...)`), or the abstract value of a traced tensor.
using Cotangent.Core;

namespace Cotangent;

public sealed partial class Tensor
{
    /// <summary>The tensor as JAX's <c>repr</c> prints it: <c>Array([1. , 2.5], dtype=float32)</c>,
    /// <c>Array(1., dtype=float32, weak_type=True)</c> for a weakly typed scalar,
    /// <c>Array([ True, False], dtype=bool)</c>, with numpy's number formatting, line wrapping at 75
    /// columns and <c>...</c> summarization past 1000 elements. A traced tensor has no value and prints
    /// its abstract value, <c>Traced&lt;ShapedArray(float32[3])&gt;</c>.</summary>
    /// <returns>The text; never null.</returns>
    public override string ToString()
    {
        var aval = Aval;
        if (Value is not Tracing.Value.Concrete c)
        {
            var shape = string.Join(",", aval.Shape);
            var weak = aval.Weak ? ", weak_type=True" : "";
            return $"Traced<ShapedArray({ArrayRepr.NumpyName(DType)}[{shape}]{weak})>";
        }
        var array = c.Item;
        return ArrayRepr.Repr(aval.Shape, DType, aval.Weak, i => NdArrayModule.item(i, array));
    }
}
