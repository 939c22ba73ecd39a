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
}
