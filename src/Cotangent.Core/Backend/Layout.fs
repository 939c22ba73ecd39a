/// Layout kernels of the lax dialect: ops that move elements without computing on them, plus
/// iota. Takes the operands and the params the type rule accepted, returns the output buffer in
/// row-major order. Each op is an index table read through Buffers.read (a gather), except
/// concatenate (block copies) and dynamic_update_slice (a scatter).
module Cotangent.Core.Backend.Layout

open System
open Cotangent.Core
open Cotangent.Core.Backend.Buffers

/// broadcast_in_dim: operand dimension i becomes output dimension bdims[i]; the others, and
/// operand dimensions of size 1, repeat (offset 0).
let broadcastInDim (bdims: int list) (shape: int[]) (x: NdArray) : ArrayData =
    let strides = Shape.strides x.Aval.Shape
    let offsets = Array.init shape.Length (fun k -> Array.zeroCreate shape[k])
    bdims |> List.iteri (fun i k -> if x.Aval.Shape[i] <> 1 then offsets[k] <- axis shape[k] 0 1 strides[i])
    read x.Data shape offsets

/// transpose: output dimension k is operand dimension perm[k].
let transpose (perm: int list) (x: NdArray) : ArrayData =
    permute x.Data x.Aval.Shape (Array.ofList perm)

/// slice: output coordinate c along k reads start[k] + c * stride[k].
let slice (starts: int list) (strides: int list option) (shape: int[]) (x: NdArray) : ArrayData =
    let steps = defaultArg strides (List.replicate shape.Length 1)
    let from = Shape.strides x.Aval.Shape
    read x.Data shape (Array.init shape.Length (fun k -> axis shape[k] starts[k] steps[k] from[k]))

/// Start indices clamped into [0, dim - size] so the window fits, as XLA's dynamic slices do.
let private clampedStarts (dims: int[]) (sizes: int[]) (indices: NdArray list) : int[] =
    indices
    |> List.mapi (fun k i ->
        let hi = dims[k] - sizes[k]
        let v = NdArray.item 0 i // exact for int32 and uint32
        if v < 0.0 then 0 elif v > float hi then hi else int v)
    |> Array.ofList

/// dynamic_slice: the window of `sizes` at the (clamped) start indices.
let dynamicSlice (sizes: int list) (x: NdArray) (indices: NdArray list) : ArrayData =
    let shape = Array.ofList sizes
    let starts = clampedStarts x.Aval.Shape shape indices
    let from = Shape.strides x.Aval.Shape
    read x.Data shape (Array.init shape.Length (fun k -> axis shape[k] starts[k] 1 from[k]))

/// dynamic_update_slice: a copy of x with the update written at the (clamped) start indices.
let dynamicUpdateSlice (x: NdArray) (update: NdArray) (indices: NdArray list) : ArrayData =
    let shape = update.Aval.Shape
    let starts = clampedStarts x.Aval.Shape shape indices
    let into = Shape.strides x.Aval.Shape
    let positions = sourceIndices shape (Array.init shape.Length (fun k -> axis shape[k] starts[k] 1 into[k]))
    scatter x.Data positions update.Data

/// concatenate along `dim`: for each index of the dimensions before it, each operand's
/// contiguous block of (its size along dim) x (the size of the dimensions after it).
let concatenate (dim: int) (out: Aval) (xs: NdArray list) : ArrayData =
    let result = zeros out.DType (Aval.size out)
    let dst = asArray result
    let inner = Shape.size out.Shape[dim + 1 ..]
    let outer = Shape.size out.Shape[.. dim - 1]
    let rowLength = out.Shape[dim] * inner
    let mutable column = 0
    for x in xs do
        let block = x.Aval.Shape[dim] * inner
        let src = asArray x.Data
        for o in 0 .. outer - 1 do
            Array.Copy(src, o * block, dst, o * rowLength + column, block)
        column <- column + block
    result

/// `n` copies of a scalar's element.
let private filled (value: NdArray) (n: int) : ArrayData =
    match value.Data with
    | BoolData v -> BoolData(Array.create n v[0])
    | I32Data v -> I32Data(Array.create n v[0])
    | U32Data v -> U32Data(Array.create n v[0])
    | F32Data v -> F32Data(Array.create n v[0])
    | F64Data v -> F64Data(Array.create n v[0])

/// pad without interior padding or cropping: the operand's rows are copied as blocks into a
/// buffer filled with the padding value (the transpose of every slice takes this path).
let private padBlocks (lows: int[]) (shape: int[]) (x: NdArray) (value: NdArray) : ArrayData =
    let src = x.Aval.Shape
    let out = filled value (Shape.size shape)
    let rank = src.Length
    if rank > 0 && Shape.size src > 0 then
        let outStrides = Shape.strides shape
        let rowLength = src[rank - 1]
        let source, target = asArray x.Data, asArray out
        for row in 0 .. Shape.size src / rowLength - 1 do
            let mutable rest = row
            let mutable offset = lows[rank - 1]
            for k in rank - 2 .. -1 .. 0 do
                offset <- offset + (rest % src[k] + lows[k]) * outStrides[k]
                rest <- rest / src[k]
            Array.Copy(source, row * rowLength, target, offset, rowLength)
    out

/// The general pad: output coordinate c along k reads source coordinate (c - low) / (interior + 1)
/// when that divides evenly and lands inside the operand, else the padding value; negative
/// low/high crop.
let private padGather (config: (int * int * int) list) (shape: int[]) (x: NdArray) (value: NdArray) : ArrayData =
    let from = Shape.strides x.Aval.Shape
    let offsets =
        config
        |> List.mapi (fun k (low, _, interior) ->
            Array.init shape[k] (fun c ->
                let t = c - low
                let q = t / (interior + 1)
                if t >= 0 && t % (interior + 1) = 0 && q < x.Aval.Shape[k] then q * from[k] else -1))
        |> Array.ofList
    gatherOr value.Data x.Data (sourceIndices shape offsets)

let pad (config: (int * int * int) list) (shape: int[]) (x: NdArray) (value: NdArray) : ArrayData =
    if x.Aval.Shape.Length > 0 && config |> List.forall (fun (lo, hi, interior) -> lo >= 0 && hi >= 0 && interior = 0) then
        padBlocks (config |> List.map (fun (lo, _, _) -> lo) |> Array.ofList) shape x value
    else padGather config shape x value

/// rev: the listed dimensions walk backwards.
let rev (dims: int list) (x: NdArray) : ArrayData =
    let shape = x.Aval.Shape
    let from = Shape.strides shape
    read x.Data shape (Array.init shape.Length (fun k ->
        if List.contains k dims then axis shape[k] (shape[k] - 1) -1 from[k] else axis shape[k] 0 1 from[k]))

/// iota into `dst` (of `shape`, row-major): each element holds its coordinate along `dim`.
/// Shared by the interpreter and the compiled runtime, which writes straight into its buffers.
let inline iotaInto (dst: Span<'T>) (shape: int[]) (dim: int) ([<InlineIfLambda>] ofInt: int -> 'T) =
    let inner = Shape.size shape[dim + 1 ..]
    let extent = shape[dim]
    let mutable i = 0
    while i < dst.Length do
        dst.Slice(i, inner).Fill(ofInt (i / inner % extent))
        i <- i + inner

let iota (dtype: DType) (shape: int[]) (dim: int) : ArrayData =
    let n = Shape.size shape
    match dtype with
    | I32 -> let a = Array.zeroCreate n in iotaInto (Span a) shape dim id; I32Data a
    | U32 -> let a = Array.zeroCreate n in iotaInto (Span a) shape dim uint32; U32Data a
    | F32 -> let a = Array.zeroCreate n in iotaInto (Span a) shape dim float32; F32Data a
    | F64 -> let a = Array.zeroCreate n in iotaInto (Span a) shape dim float; F64Data a
    | Bool -> let a = Array.zeroCreate n in iotaInto (Span a) shape dim (fun c -> c <> 0); BoolData a
