/// Reduction and contraction kernels of the lax dialect: reduce_{sum,max,min,prod}, argmax/argmin,
/// cumsum and dot_general. Each permutes its operand so the reduced (or contracted) dimensions
/// are last and contiguous, then folds rows; f32/f64 rows go through TensorPrimitives. An empty
/// reduction gives XLA's identity: 0; 1; -inf, int MIN or false for max; +inf, MAX or true for min.
module Cotangent.Core.Backend.Reductions

open System
open System.Numerics.Tensors
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Backend.Buffers

/// The permutation that puts `axes` last, keeping the order of the other dimensions and of axes.
let private axesLast (rank: int) (axes: int list) =
    Array.append (Array.init rank id |> Array.filter (fun i -> not (List.contains i axes))) (Array.ofList axes)

let private sizeOf (shape: int[]) (dims: int list) = dims |> List.fold (fun m d -> m * shape[d]) 1

/// x permuted so `axes` are last (shared when they already are), and the length of the rows
/// they form.
let private rowsOver (axes: int list) (x: NdArray) : ArrayData * int =
    let shape = x.Aval.Shape
    permute x.Data shape (axesLast shape.Length axes), sizeOf shape axes

/// out[r] = fold x (r * m) m: the fold of row r, for each of `rows` rows of length m.
let inline private foldRows ([<InlineIfLambda>] fold: 'T[] -> int -> int -> 'U) (rows: int) (m: int) (x: 'T[]) : 'U[] =
    let out = Array.zeroCreate rows
    for r in 0 .. rows - 1 do
        out[r] <- fold x (r * m) m
    out

/// A row fold by a scalar step from an identity: for bools and (wrapping) integers.
let inline private loop (identity: 'T) ([<InlineIfLambda>] step: 'T -> 'T -> 'T) (x: 'T[]) (start: int) (m: int) : 'T =
    let mutable acc = identity
    for i in start .. start + m - 1 do
        acc <- step acc x[i]
    acc

/// reduce_* over `axes`, one row fold per dtype.
let inline private reduce ([<InlineIfLambda>] b) ([<InlineIfLambda>] i) ([<InlineIfLambda>] u) ([<InlineIfLambda>] f) ([<InlineIfLambda>] d) (axes: int list) (out: Aval) (x: NdArray) =
    let data, m = rowsOver axes x
    let rows = Aval.size out
    match data with
    | BoolData a -> BoolData(foldRows b rows m a)
    | I32Data a -> I32Data(foldRows i rows m a)
    | U32Data a -> U32Data(foldRows u rows m a)
    | F32Data a -> F32Data(foldRows f rows m a)
    | F64Data a -> F64Data(foldRows d rows m a)

let private noBool (_: bool[]) (_: int) (_: int) : bool = unreachable "an arithmetic reduction of bools"

// TensorPrimitives' whole-span Max/Min propagate NaN like XLA's; they and Product reject empty
// spans, hence the identity for m = 0.
let reduceSum axes out x =
    reduce noBool (loop 0 (+)) (loop 0u (+))
        (fun a s m -> TensorPrimitives.Sum(ReadOnlySpan(a, s, m)))
        (fun a s m -> TensorPrimitives.Sum(ReadOnlySpan(a, s, m))) axes out x

let reduceProd axes out x =
    reduce noBool (loop 1 (*)) (loop 1u (*))
        (fun a s m -> if m = 0 then 1.0f else TensorPrimitives.Product(ReadOnlySpan(a, s, m)))
        (fun a s m -> if m = 0 then 1.0 else TensorPrimitives.Product(ReadOnlySpan(a, s, m))) axes out x

let reduceMax axes out x =
    reduce (loop false (||)) (loop Int32.MinValue max) (loop UInt32.MinValue max)
        (fun a s m -> if m = 0 then Single.NegativeInfinity else TensorPrimitives.Max(ReadOnlySpan(a, s, m)))
        (fun a s m -> if m = 0 then Double.NegativeInfinity else TensorPrimitives.Max(ReadOnlySpan(a, s, m))) axes out x

let reduceMin axes out x =
    reduce (loop true (&&)) (loop Int32.MaxValue min) (loop UInt32.MaxValue min)
        (fun a s m -> if m = 0 then Single.PositiveInfinity else TensorPrimitives.Min(ReadOnlySpan(a, s, m)))
        (fun a s m -> if m = 0 then Double.PositiveInfinity else TensorPrimitives.Min(ReadOnlySpan(a, s, m))) axes out x

/// The index of the first extreme of a non-empty row, `better v best` being strictly better. A
/// NaN beats everything, as in JAX's argmax/argmin comparator, so the first NaN wins.
let inline private argRow ([<InlineIfLambda>] better: 'T -> 'T -> bool) ([<InlineIfLambda>] isNaN: 'T -> bool) (x: 'T[]) (start: int) (m: int) : int =
    let mutable best = 0
    let mutable i = 1
    while i < m && not (isNaN x[start + best]) do
        let v = x[start + i]
        if isNaN v || better v x[start + best] then best <- i
        i <- i + 1
    best

let inline private argRows (greatest: bool) ([<InlineIfLambda>] isNaN) rows m (a: 'T[]) =
    if greatest then foldRows (argRow (>) isNaN) rows m a else foldRows (argRow (<) isNaN) rows m a

/// argmax (`greatest`) or argmin along `axis`, as indices of `out`'s dtype.
let argExtreme (greatest: bool) (axis: int) (out: Aval) (x: NdArray) : ArrayData =
    let data, m = rowsOver [ axis ] x
    let rows = Aval.size out
    let indices =
        match data with
        | BoolData a -> argRows greatest (fun _ -> false) rows m a
        | I32Data a -> argRows greatest (fun _ -> false) rows m a
        | U32Data a -> argRows greatest (fun _ -> false) rows m a
        | F32Data a -> argRows greatest Single.IsNaN rows m a
        | F64Data a -> argRows greatest Double.IsNaN rows m a
    Elementwise.convert out.DType (I32Data indices)

/// cumsum along `axis`: running sums in the operand's dtype (wrapping for ints), from the last
/// element backwards when `reverse`.
let cumsum (axis: int) (reverse: bool) (x: NdArray) : ArrayData =
    let shape = x.Aval.Shape
    let length = shape[axis]
    let inner = Shape.size shape[axis + 1 ..]
    let outer = Shape.size shape[.. axis - 1]
    let inline scan (zero: 'T) (a: 'T[]) : 'T[] =
        let out = Array.zeroCreate a.Length
        for o in 0 .. outer - 1 do
            for i in 0 .. inner - 1 do
                let mutable acc = zero
                for j in 0 .. length - 1 do
                    let at = (o * length + (if reverse then length - 1 - j else j)) * inner + i
                    acc <- acc + a[at]
                    out[at] <- acc
        out
    match x.Data with
    | I32Data a -> I32Data(scan 0 a)
    | U32Data a -> U32Data(scan 0u a)
    | F32Data a -> F32Data(scan 0.0f a)
    | F64Data a -> F64Data(scan 0.0 a)
    | BoolData _ -> unreachable "cumsum of bools"

/// out[b, i, j] = dot a's row (b, i) with b's row (b, j), rows of length k.
let inline private contractRows ([<InlineIfLambda>] dot: 'T[] -> int -> 'T[] -> int -> int -> 'T) batch rowsL rowsR k (a: 'T[]) (b: 'T[]) : 'T[] =
    let result = Array.zeroCreate (batch * rowsL * rowsR)
    for bi in 0 .. batch - 1 do
        for i in 0 .. rowsL - 1 do
            for j in 0 .. rowsR - 1 do
                result[(bi * rowsL + i) * rowsR + j] <- dot a ((bi * rowsL + i) * k) b ((bi * rowsR + j) * k) k
    result

let inline private loopDot (zero: 'T) (a: 'T[]) (s: int) (b: 'T[]) (t: int) (k: int) : 'T =
    let mutable acc = zero
    for c in 0 .. k - 1 do
        acc <- acc + a[s + c] * b[t + c]
    acc

/// dot_general: each operand is cast to the output dtype (preferred_element_type, so sums
/// accumulate in it) and permuted to [batch, free, contracting], so out[b, i, j] is the dot
/// product of two contiguous rows of length k.
let dotGeneral (dims: DotDims) (out: Aval) (lhs: NdArray) (rhs: NdArray) : ArrayData =
    let arrange (x: NdArray) (batch: int list) (contract: int list) =
        let shape = x.Aval.Shape
        let free = [ 0 .. shape.Length - 1 ] |> List.filter (fun i -> not (List.contains i (batch @ contract)))
        let arranged = permute x.Data shape (Array.ofList (batch @ free @ contract))
        Elementwise.convert out.DType arranged, sizeOf shape free
    let l, rowsL = arrange lhs dims.LhsBatch dims.LhsContract
    let r, rowsR = arrange rhs dims.RhsBatch dims.RhsContract
    let batch = sizeOf lhs.Aval.Shape dims.LhsBatch
    let k = sizeOf lhs.Aval.Shape dims.LhsContract
    match l, r with
    | I32Data a, I32Data b -> I32Data(contractRows (loopDot 0) batch rowsL rowsR k a b)
    | U32Data a, U32Data b -> U32Data(contractRows (loopDot 0u) batch rowsL rowsR k a b)
    | F32Data a, F32Data b -> F32Data(contractRows (fun a s b t k -> TensorPrimitives.Dot(ReadOnlySpan(a, s, k), ReadOnlySpan(b, t, k))) batch rowsL rowsR k a b)
    | F64Data a, F64Data b -> F64Data(contractRows (fun a s b t k -> TensorPrimitives.Dot(ReadOnlySpan(a, s, k), ReadOnlySpan(b, t, k))) batch rowsL rowsR k a b)
    | _ -> unreachable "dot_general of bools or mixed dtypes"
