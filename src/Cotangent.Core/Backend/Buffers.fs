/// Dense buffers for the interpreter: dtype-generic allocation, index tables and the gathers and
/// scatters through them (how every layout op moves elements), and inline loops for kernels.
/// Takes and returns row-major ArrayData. Guarantees: nothing writes into a buffer it did not
/// allocate here, so sharing an input buffer with an output is always safe.
module Cotangent.Core.Backend.Buffers

open System
open Cotangent.Core

/// An interpreter bug: a case that the type rule has already excluded.
let unreachable (what: string) : 'a =
    raise (InvalidOperationException $"interpreter: {what} (the type rule should have rejected this)")

/// The buffer as a System.Array, for dtype-blind block copies.
let asArray (data: ArrayData) : Array =
    match data with
    | BoolData a -> a
    | I32Data a -> a
    | U32Data a -> a
    | F32Data a -> a
    | F64Data a -> a

/// A zero-filled (false-filled) buffer of `n` elements.
let zeros (dtype: DType) (n: int) : ArrayData =
    match dtype with
    | Bool -> BoolData(Array.zeroCreate n)
    | I32 -> I32Data(Array.zeroCreate n)
    | U32 -> U32Data(Array.zeroCreate n)
    | F32 -> F32Data(Array.zeroCreate n)
    | F64 -> F64Data(Array.zeroCreate n)

/// A fresh copy, for ops that update a buffer in place while building their output.
let copy (data: ArrayData) : ArrayData =
    match data with
    | BoolData a -> BoolData(Array.copy a)
    | I32Data a -> I32Data(Array.copy a)
    | U32Data a -> U32Data(Array.copy a)
    | F32Data a -> F32Data(Array.copy a)
    | F64Data a -> F64Data(Array.copy a)

/// out[i] = f x[i]. Inline so that `f` is inlined too: no closure call per element.
let inline map ([<InlineIfLambda>] f: 'a -> 'b) (x: 'a[]) : 'b[] =
    let out = Array.zeroCreate x.Length
    for i in 0 .. x.Length - 1 do
        out[i] <- f x[i]
    out

/// out[i] = f x[i] y[i] over `n` elements, where an operand of length 1 (rank 0) stands for
/// that element broadcast; any other broadcast has been materialized by the caller.
let inline map2 ([<InlineIfLambda>] f: 'a -> 'b -> 'c) (n: int) (x: 'a[]) (y: 'b[]) : 'c[] =
    let out = Array.zeroCreate n
    if x.Length = n && y.Length = n then
        for i in 0 .. n - 1 do
            out[i] <- f x[i] y[i]
    elif x.Length = 1 then
        let x0 = x[0]
        for i in 0 .. n - 1 do
            out[i] <- f x0 y[i]
    else
        let y0 = y[0]
        for i in 0 .. n - 1 do
            out[i] <- f x[i] y0
    out

// An index table describes a gather from a row-major source into a row-major output of
// `shape`: offsets[k][c] is what coordinate c along output dimension k adds to the flat source
// index (a source coordinate times its source stride), or -1 for "no source" (padding).
// Strides of 0 broadcast, negative steps reverse, and a start offset slices.

/// Flat source index of each output element, row-major: the sum over k of offsets[k][coord k],
/// or -1 where some dimension has no source.
let sourceIndices (shape: int[]) (offsets: int[][]) : int[] =
    let out = Array.zeroCreate (Shape.size shape)
    let last = shape.Length - 1
    // Writes the block of dimensions k.. whose source index so far is `source`, starting at `pos`.
    let rec fill k source pos =
        if k > last then
            out[pos] <- source
            pos + 1
        elif k = last then
            let row = offsets[k]
            for c in 0 .. row.Length - 1 do
                out[pos + c] <- if source < 0 || row[c] < 0 then -1 else source + row[c]
            pos + row.Length
        else
            let mutable p = pos
            for c in 0 .. shape[k] - 1 do
                let o = offsets[k][c]
                p <- fill (k + 1) (if source < 0 || o < 0 then -1 else source + o) p
            p
    if out.Length > 0 then fill 0 0 0 |> ignore
    out

/// offsets[k][c] = (start + c * step) * stride: a strided walk along one source dimension.
let axis (size: int) (start: int) (step: int) (stride: int) : int[] =
    Array.init size (fun c -> (start + c * step) * stride)

/// The offsets that broadcast a source of `from` (same rank, dims equal or 1) to `shape`.
let broadcastOffsets (from: int[]) (shape: int[]) : int[][] =
    let strides = Shape.strides from
    Array.init shape.Length (fun k -> axis shape[k] 0 (if from[k] = 1 then 0 else 1) strides[k])

/// The offsets that read a source of `from` with its dimensions permuted: output dimension k
/// walks source dimension perm[k].
let permuteOffsets (from: int[]) (perm: int[]) : int[][] =
    let strides = Shape.strides from
    perm |> Array.map (fun p -> axis from[p] 0 1 strides[p])

let inline private gatherT (fill: 'T) (src: 'T[]) (indices: int[]) : 'T[] =
    map (fun i -> if i < 0 then fill else src[i]) indices

/// out[i] = src[indices[i]], or fill[0] where the index is -1; `fill` has src's dtype.
let gatherOr (fill: ArrayData) (src: ArrayData) (indices: int[]) : ArrayData =
    match src, fill with
    | BoolData s, BoolData f -> BoolData(gatherT f[0] s indices)
    | I32Data s, I32Data f -> I32Data(gatherT f[0] s indices)
    | U32Data s, U32Data f -> U32Data(gatherT f[0] s indices)
    | F32Data s, F32Data f -> F32Data(gatherT f[0] s indices)
    | F64Data s, F64Data f -> F64Data(gatherT f[0] s indices)
    | _ -> unreachable "a fill value of another dtype than its array"

/// out[i] = src[indices[i]], where no index is -1.
let gather (src: ArrayData) (indices: int[]) : ArrayData =
    match src with
    | BoolData s -> BoolData(gatherT false s indices)
    | I32Data s -> I32Data(gatherT 0 s indices)
    | U32Data s -> U32Data(gatherT 0u s indices)
    | F32Data s -> F32Data(gatherT 0.0f s indices)
    | F64Data s -> F64Data(gatherT 0.0 s indices)

/// `src` read through an index table into `shape`.
let read (src: ArrayData) (shape: int[]) (offsets: int[][]) : ArrayData =
    gather src (sourceIndices shape offsets)

/// `src` (of shape `from`) with its dimensions permuted: output dimension k is source dimension
/// perm[k]. The identity permutation shares the buffer.
let permute (src: ArrayData) (from: int[]) (perm: int[]) : ArrayData =
    if perm |> Array.indexed |> Array.forall (fun (k, p) -> k = p) then src
    else read src (Array.map (fun p -> from[p]) perm) (permuteOffsets from perm)

let inline private scatterT (dst: 'T[]) (positions: int[]) (src: 'T[]) =
    for i in 0 .. positions.Length - 1 do
        dst[positions[i]] <- src[i]

/// A copy of `dst` with dst[positions[i]] = src[i]; `src` has dst's dtype.
let scatter (dst: ArrayData) (positions: int[]) (src: ArrayData) : ArrayData =
    let out = copy dst
    match out, src with
    | BoolData d, BoolData s -> scatterT d positions s
    | I32Data d, I32Data s -> scatterT d positions s
    | U32Data d, U32Data s -> scatterT d positions s
    | F32Data d, F32Data s -> scatterT d positions s
    | F64Data d, F64Data s -> scatterT d positions s
    | _ -> unreachable "an update of another dtype than its array"
    out
