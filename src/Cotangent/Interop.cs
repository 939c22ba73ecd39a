// Interop: the one place that converts between the facade's .NET types and the F# core's
// (dtypes, lists, options, arrays), so that no F# type appears in the public surface.
using Cotangent.Core;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using Value = Cotangent.Core.Tracing.Value;

namespace Cotangent;

internal static class Interop
{
    public static DType ToPublic(Core.DType d) =>
        d.Tag switch
        {
            Core.DType.Tags.Bool => DType.Bool,
            Core.DType.Tags.I32 => DType.Int32,
            Core.DType.Tags.U32 => DType.UInt32,
            Core.DType.Tags.F32 => DType.Float32,
            _ => DType.Float64,
        };

    public static Core.DType ToCore(DType d) =>
        d switch
        {
            DType.Bool => Core.DType.Bool,
            DType.Int32 => Core.DType.I32,
            DType.UInt32 => Core.DType.U32,
            DType.Float32 => Core.DType.F32,
            DType.Float64 => Core.DType.F64,
            _ => throw new ArgumentOutOfRangeException(nameof(d), d, "not a Cotangent dtype"),
        };

    public static FSharpList<T> List<T>(IEnumerable<T> xs) => ListModule.OfSeq(xs);

    public static FSharpOption<T>? Option<T>(T? x) where T : class => x is null ? null : FSharpOption<T>.Some(x);

    public static FSharpOption<FSharpList<int>>? Axes(int[]? axes) =>
        axes is null ? null : FSharpOption<FSharpList<int>>.Some(ListModule.OfSeq(axes));

    public static FSharpOption<FSharpList<int>> Axis(int axis) =>
        FSharpOption<FSharpList<int>>.Some(FSharpList<int>.Cons(axis, FSharpList<int>.Empty));

    public static FSharpFunc<TIn, TOut> Func<TIn, TOut>(Func<TIn, TOut> f) => FuncConvert.FromFunc(f);

    public static FSharpList<Value> Values(IEnumerable<Tensor> xs) => ListModule.OfSeq(xs.Select(x => x.Value));

    public static T[] ToArray<T>(NdArray a)
    {
        var n = Core.Shape.size(a.Aval.Shape);
        object result = typeof(T) switch
        {
            var t when t == typeof(float) => a.Data is ArrayData.F32Data f ? (float[])f.Item.Clone() : Map(n, i => (float)NdArrayModule.item(i, a)),
            var t when t == typeof(double) => a.Data is ArrayData.F64Data d ? (double[])d.Item.Clone() : Map(n, i => NdArrayModule.item(i, a)),
            var t when t == typeof(int) => a.Data is ArrayData.I32Data i32 ? (int[])i32.Item.Clone() : Map(n, i => (int)NdArrayModule.item(i, a)),
            var t when t == typeof(uint) => a.Data is ArrayData.U32Data u32 ? (uint[])u32.Item.Clone() : Map(n, i => (uint)NdArrayModule.item(i, a)),
            var t when t == typeof(bool) => a.Data is ArrayData.BoolData b ? (bool[])b.Item.Clone() : Map(n, i => NdArrayModule.item(i, a) != 0.0),
            _ => throw new NotSupportedException($"ToArray<{typeof(T).Name}>: read float, double, int, uint or bool."),
        };
        return (T[])result;
    }

    private static TOut[] Map<TOut>(int n, Func<int, TOut> f)
    {
        var r = new TOut[n];
        for (var i = 0; i < n; i++) r[i] = f(i);
        return r;
    }

    /// <summary>An F# list of ints, after a null check that names the parameter.</summary>
    public static FSharpList<int> Ints(int[] xs, string paramName)
    {
        ArgumentNullException.ThrowIfNull(xs, paramName);
        return ListModule.OfArray(xs);
    }

    /// <summary>Some axes, or None (all axes) for null.</summary>
    public static FSharpOption<FSharpList<int>> AxesOrAll(int[]? axes) =>
        axes is null ? FSharpOption<FSharpList<int>>.None : FSharpOption<FSharpList<int>>.Some(ListModule.OfArray(axes));

    /// <summary>The core values of tensors, after a null check that names the parameter.</summary>
    public static FSharpList<Value> Values(Tensor[] xs, string paramName)
    {
        ArgumentNullException.ThrowIfNull(xs, paramName);
        return Values((IEnumerable<Tensor>)xs);
    }

    /// <summary>Pad's (lo, hi, interior) triples as the core's F# tuples.</summary>
    public static FSharpList<Tuple<int, int, int>> PadConfig((int Lo, int Hi, int Interior)[] config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return ListModule.OfSeq(config.Select(c => Tuple.Create(c.Lo, c.Hi, c.Interior)));
    }

    /// <summary>A concrete, strongly typed tensor over a copy of <paramref name="data"/>,
    /// with <paramref name="shape"/> (1-D when null), checking that the sizes agree.</summary>
    public static Tensor Concrete<T>(T[] data, int[]? shape, Func<int[], T[], NdArray> make)
    {
        ArgumentNullException.ThrowIfNull(data);
        var dims = shape is null ? [data.Length] : (int[])shape.Clone();
        if (dims.Any(d => d < 0))
            throw new ArgumentException($"Jnp.Array: shape {Core.Shape.pyTuple(dims)} has a negative dimension.", nameof(shape));
        var size = dims.Aggregate(1L, (n, d) => n * d);
        if (size != data.Length)
            throw new ArgumentException(
                $"Jnp.Array: {data.Length} elements cannot have shape {Core.Shape.pyTuple(dims)}, which holds {size}.", nameof(shape));
        return Tensor.Of(Value.NewConcrete(make(dims, (T[])data.Clone())));
    }

    /// <summary>The core dtype for a constructor, rejecting values outside the enum.</summary>
    public static Core.DType Dtype(DType d, string paramName) =>
        Enum.IsDefined(d) ? ToCore(d) : throw new ArgumentOutOfRangeException(paramName, d, "not a Cotangent dtype");

    /// <summary>The shape as an F# list, checked for null and negative dimensions.</summary>
    public static FSharpList<int> Dims(int[] shape, string what)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Any(d => d < 0))
            throw new ArgumentException($"{what}: shape {Core.Shape.pyTuple(shape)} has a negative dimension.", nameof(shape));
        return ListModule.OfArray(shape);
    }

    /// <summary>F#'s <c>Some x</c>.</summary>
    public static FSharpOption<T> Some<T>(T x) => FSharpOption<T>.Some(x);

    /// <summary>A dimension, checked to be non-negative.</summary>
    public static int Dim(int n, string paramName) =>
        n >= 0 ? n : throw new ArgumentException($"a dimension must be non-negative, got {n}.", paramName);

    /// <summary>lax's rounding method as the core's union case.</summary>
    public static Core.Dialects.Lax.RoundingMethod ToCore(RoundingMethod m) =>
        m switch
        {
            RoundingMethod.AwayFromZero => Core.Dialects.Lax.RoundingMethod.AwayFromZero,
            RoundingMethod.ToNearestEven => Core.Dialects.Lax.RoundingMethod.ToNearestEven,
            _ => throw new ArgumentOutOfRangeException(nameof(m), m, "not a rounding method"),
        };

    /// <summary>dot_general's dimension numbers, after null checks.</summary>
    public static Core.Dialects.Lax.DotDims DotDims(int[] lhsContract, int[] rhsContract, int[] lhsBatch, int[] rhsBatch) =>
        new(Ints(lhsContract, nameof(lhsContract)), Ints(rhsContract, nameof(rhsContract)),
            Ints(lhsBatch, nameof(lhsBatch)), Ints(rhsBatch, nameof(rhsBatch)));
}
