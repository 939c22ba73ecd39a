/// Batching rules (batching.py's defvectorized, defbroadcasting, defreducer and the longer rules
/// of lax.py): each takes a primitive's operands with their batch axes and returns its outputs over
/// the whole batch with theirs. Guarantees: no loop over the batch; a rule's outputs carry the
/// bdims it returns. `Vmap.rule` picks one per primitive.
module Cotangent.Core.Passes.BatchRules

open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Tracing
module L = Cotangent.Core.LaxOps

/// A batching rule: operands with their batch axes (None: unbatched; at least one is batched)
/// to outputs with theirs.
type BatchRule = Value list -> int option list -> Value list * int option list

let internal shapeOf (v: Value) = (Value.aval v).Shape
let internal rankOf (v: Value) = (shapeOf v).Length
let internal dimOf (v: Value) (axis: int) = (shapeOf v)[axis]
let internal avalsText (vals: Value list) = System.String.Join(", ", vals |> List.map (Value.aval >> Aval.str))

/// The mapped axis size, read off the first batched operand.
let internal axisSize (vals: Value list) (dims: int option list) =
    List.zip vals dims |> List.pick (fun (v, d) -> d |> Option.map (dimOf v))

/// bump_dims: an axis of the unbatched operand, renumbered for the operand with a batch axis at `bdim`.
let internal past (bdim: int) (axis: int) = if axis >= bdim then axis + 1 else axis

/// batching.moveaxis: a transpose taking axis `src` to `dst` (nothing bound when they agree).
let moveaxis (src: int) (dst: int) (x: Value) =
    if src = dst then x
    else L.transpose ([ 0 .. rankOf x - 1 ] |> List.filter ((<>) src) |> List.insertAt dst src) x

/// batching.broadcast: `x` repeated `size` times along a new axis `axis`.
let broadcastAt (size: int) (axis: int) (x: Value) =
    let shape = List.ofArray (shapeOf x)
    L.broadcastInDim (List.insertAt axis size shape) ([ 0 .. shape.Length ] |> List.filter ((<>) axis)) x

/// batching.matchaxis: `x` with its batch axis at `dst`; an unbatched `x` is broadcast there.
let matchAxis (size: int) (dst: int) (bdim: int option) (x: Value) =
    match bdim with
    | Some src -> moveaxis src dst x
    | None -> broadcastAt size dst x

/// lax.expand_dims at the end: trailing size-1 axes up to rank `nd` (a broadcast_in_dim, as in JAX).
let internal expandTrailing (nd: int) (x: Value) =
    let shape = List.ofArray (shapeOf x)
    if shape.Length >= nd then x
    else L.broadcastInDim (shape @ List.replicate (nd - shape.Length) 1) [ 0 .. shape.Length - 1 ] x

let internal allAt (bdim: int option) (outs: Value list) =
    outs, (match outs with [ _ ] -> [ bdim ] | _ -> outs |> List.map (fun _ -> bdim))

// ---------------------------------------------------------------------------------------------
// Rule shapes (batching.py's defvectorized, defbroadcasting, defreducer) and the longer rules.

/// A rule for a one-operand primitive: `f bdim x` gives the output and its batch axis.
let internal unary (f: int -> Value -> Value * int) : BatchRule =
    fun vals dims ->
        match vals, dims with
        | [ x ], [ Some b ] -> let out, d = f b x in [ out ], [ Some d ]
        | _ -> fail "vmap" $"a one-operand rule got operands {avalsText vals}"

/// defvectorized: the primitive acts on each element, so it applies to the batch as is and the
/// batch axis stays where it is.
let internal vectorized (prim: Prim) : BatchRule = unary (fun b x -> bind1 prim [ x ], b)

/// Like defvectorized for a primitive acting along axes its params name: `make bdim` is the
/// primitive with those axes renumbered past the batch axis (cumsum, rev).
let internal shifted (make: int -> Prim) : BatchRule = unary (fun b x -> bind1 (make b) [ x ], b)

/// defreducer: reduced axes shifted past the batch axis; the batch axis moves down by the
/// number of reduced axes before it.
let internal reducer (make: int list -> Prim) (axes: int list) : BatchRule =
    unary (fun b x ->
        let axes = List.map (past b) axes
        bind1 (make axes) [ x ], b - (axes |> List.filter (fun a -> a < b) |> List.length))

/// broadcast_batcher: when the batched operands agree in shape and bdim and the rest are scalars,
/// the primitive applies as is. Otherwise batch axes move to the front, unbatched operands get a
/// leading size-1 axis (lax broadcasts size-1 axes), and batched scalars get trailing ones.
let internal broadcastBatcher (prim: Prim) : BatchRule =
    fun vals dims ->
        // the first batched operand: every other is a scalar or batched alike (the common case,
        // checked without allocating: this runs for most primitives under vmap)
        let rec first (vs: Value list) (ds: int option list) =
            match vs, ds with
            | v :: _, (Some _ as d) :: _ -> struct (shapeOf v, d)
            | _ :: vs, None :: ds -> first vs ds
            | _ -> fail (Lax.name prim) "a batching rule got no batched operand"
        let struct (shape, bdim) = first vals dims
        let rec aligned (vs: Value list) (ds: int option list) =
            match vs, ds with
            | v :: vs, d :: ds ->
                let s = shapeOf v
                let sameDim = match d, bdim with Some a, Some b -> a = b | None, None -> true | _ -> false
                (s.Length = 0 || (sameDim && Shape.equal s shape)) && aligned vs ds
            | _ -> true
        if aligned vals dims then
            allAt bdim (bind prim vals)
        else
            let front = List.map2 (fun v (d: int option) -> if rankOf v = 0 then v else matchAxis 1 0 d v) vals dims
            let nd = front |> List.map rankOf |> List.max
            let args = List.map2 (fun v (d: int option) -> if d.IsSome then expandTrailing nd v else v) front dims
            allAt (Some 0) (bind prim args)

/// _select_batch_rule: select_n without moving axes when the predicate and cases agree;
/// otherwise batch axes to the front, and a scalar side broadcast to the other's shape (our
/// type rule, like lax's, wants a scalar predicate or one of the cases' shape).
let internal selectBatch : BatchRule =
    fun vals dims ->
        let which, cases = vals.Head, vals.Tail
        let whichDim, caseDims = dims.Head, dims.Tail
        let size = axisSize vals dims
        let case0 = cases.Head
        match whichDim, caseDims with
        | Some w, _ when caseDims |> List.forall ((=) whichDim) ->
            // a predicate that was a scalar (now of rank 1) is broadcast along the cases' batch axis
            let which = if shapeOf which = shapeOf case0 then which else L.broadcastInDim (List.ofArray (shapeOf case0)) [ w ] which
            allAt whichDim [ L.selectN which cases ]
        | None, Some c0 :: _ when rankOf which = 0 && caseDims |> List.forall Option.isSome ->
            if caseDims |> List.forall ((=) (Some c0)) then allAt (Some c0) [ L.selectN which cases ]
            elif cases |> List.forall (fun c -> shapeOf c = shapeOf case0) then
                allAt (Some c0) [ L.selectN which (case0 :: List.map2 (fun c d -> moveaxis (Option.get d) c0 c) cases.Tail caseDims.Tail) ]
            else
                allAt (Some 0) [ L.selectN which (List.map2 (fun c d -> matchAxis size 0 d c) cases caseDims) ]
        | _ ->
            let which = if rankOf which > 0 then matchAxis size 0 whichDim which else which
            let cases =
                if cases |> List.forall (fun c -> rankOf c = 0) then cases
                else List.map2 (fun c d -> matchAxis size 0 d c) cases caseDims
            let caseShape = List.ofArray (shapeOf cases.Head)
            let which =
                if rankOf which > 0 && rankOf which < caseShape.Length then L.broadcastInDim caseShape [ 0 ] which else which
            let cases =
                if rankOf which > caseShape.Length then cases |> List.map (L.broadcastInDim (List.ofArray (shapeOf which)) [])
                else cases
            allAt (Some 0) [ L.selectN which cases ]

/// _dot_general_batch_dim_nums: both batched, the batch axis becomes a new leading dot batch
/// dimension; one side batched, it becomes a free dimension of that side, and the output's batch
/// axis is where that free dimension lands (batch dims, then lhs free, then rhs free).
let internal dotGeneralBatch (d: DotDims) (pref: DType option) : BatchRule =
    fun vals dims ->
        let bump b = List.map (past b)
        let freeBefore (rank: int) batch contract b =
            [ 0 .. rank - 1 ] |> List.filter (fun i -> i < b && not (List.contains i batch || List.contains i contract)) |> List.length
        let lhs, rhs = vals[0], vals[1]
        let nums, outDim =
            match dims with
            | [ Some lb; Some rb ] ->
                { LhsContract = bump lb d.LhsContract; RhsContract = bump rb d.RhsContract
                  LhsBatch = lb :: bump lb d.LhsBatch; RhsBatch = rb :: bump rb d.RhsBatch }, 0
            | [ Some lb; None ] ->
                { d with LhsContract = bump lb d.LhsContract; LhsBatch = bump lb d.LhsBatch },
                d.LhsBatch.Length + freeBefore (rankOf lhs) d.LhsBatch d.LhsContract lb
            | [ None; Some rb ] ->
                { d with RhsContract = bump rb d.RhsContract; RhsBatch = bump rb d.RhsBatch },
                rankOf lhs - d.LhsContract.Length + freeBefore (rankOf rhs) d.RhsBatch d.RhsContract rb
            | _ -> fail "vmap" $"dot_general's rule got operands {avalsText vals}"
        [ L.dotGeneral nums pref lhs rhs ], [ Some outDim ]

/// A zero start index for the batch axis, of the other indices' integer dtype.
let internal zeroIndex (indices: Value list) =
    let dtype = match indices with i :: _ -> (Value.aval i).DType | [] -> I32
    Concrete(NdArray.scalar dtype false 0.0)

/// Per-example start indices, without gather: for each axis, a select_n (by the start, clamped
/// into range as XLA clamps it) over the windows at every possible start. Exact (values are only
/// moved, never combined), at the cost of one window per start.
let internal clampedStarts (size: int) (n: int) (window: int) (index: Value, bdim: int option) =
    let i32 (v: int) = Concrete(NdArray.scalar I32 false (float v))
    let i = if (Value.aval index).DType = I32 then index else L.convertElementType I32 false index
    let i = match bdim with Some _ -> i | None -> L.broadcastInDim [ size ] [] i
    L.max (L.min i (i32 (n - window))) (i32 0)

/// select_n over `cases` by a per-example (B,) predicate broadcast along the batch axis 0.
let internal selectPerExample (which: Value) (cases: Value list) =
    L.selectN (L.broadcastInDim (List.ofArray (shapeOf cases.Head)) [ 0 ] which) cases

let internal dynamicSliceGathered (sizes: int list) : BatchRule =
    fun vals dims ->
        let size = axisSize vals dims
        let x = matchAxis size 0 dims.Head vals.Head
        let windows (x: Value) (axis: int) (width: int) =
            let shape = shapeOf x
            [ for c in 0 .. shape[axis] - width ->
                let starts = List.init shape.Length (fun k -> if k = axis then c else 0)
                let limits = List.init shape.Length (fun k -> if k = axis then c + width else shape[k])
                L.slice starts limits None x ]
        let sliced =
            List.zip3 sizes vals.Tail dims.Tail
            |> List.indexed
            |> List.fold (fun (x: Value) (d, (width, index, bdim)) ->
                let which = clampedStarts size (dimOf x (d + 1)) width (index, bdim)
                selectPerExample which (windows x (d + 1) width)) x
        [ sliced ], [ Some 0 ]

let internal dynamicUpdateSliceGathered : BatchRule =
    fun vals dims ->
        let size = axisSize vals dims
        let x = matchAxis size 0 dims[0] vals[0]
        let update = matchAxis size 0 dims[1] vals[1]
        let trues = L.broadcastInDim (List.ofArray (shapeOf update)) [] (Concrete(NdArray.scalar Bool false 1.0))
        // the update (and a mask of where it lands) moved to each example's start, axis by axis
        let place (d: int) (index: Value, bdim: int option) (values: Value, mask: Value) =
            let n, width = dimOf x (d + 1), dimOf values (d + 1)
            let which = clampedStarts size n width (index, bdim)
            let shifted (v: Value) (fill: Value) =
                [ for c in 0 .. n - width ->
                    let config = List.init (rankOf v) (fun k -> if k = d + 1 then (c, n - width - c, 0) else (0, 0, 0))
                    L.pad config v fill ]
            let xa = Value.aval values
            selectPerExample which (shifted values (Concrete(NdArray.scalar xa.DType xa.Weak 0.0))),
            selectPerExample which (shifted mask (Concrete(NdArray.scalar Bool false 0.0)))
        let placed, mask =
            List.zip vals.Tail.Tail dims.Tail.Tail |> List.indexed |> List.fold (fun acc (d, i) -> place d i acc) (update, trues)
        [ L.select mask placed x ], [ Some 0 ]

/// dynamic_slice with unbatched indices: the batch axis is sliced whole (start 0, size `size`),
/// in place, so nothing is transposed.
let internal dynamicSliceBatch (sizes: int list) : BatchRule =
    fun vals dims ->
        match vals, dims with
        | x :: indices, Some b :: indexDims when List.forall Option.isNone indexDims ->
            [ L.dynamicSlice (List.insertAt b (dimOf x b) sizes) x (List.insertAt b (zeroIndex indices) indices) ], [ Some b ]
        | _ -> dynamicSliceGathered sizes vals dims

/// dynamic_update_slice with unbatched indices: operand and update get their batch axis at the
/// same place (the operand's, when it is batched), which is updated whole.
let internal dynamicUpdateSliceBatch : BatchRule =
    fun vals dims ->
        match vals, dims with
        | x :: update :: indices, xd :: ud :: indexDims when List.forall Option.isNone indexDims ->
            let size = axisSize vals dims
            let b = Option.orElse ud xd |> Option.defaultValue 0
            [ L.dynamicUpdateSlice (matchAxis size b xd x) (matchAxis size b ud update) (List.insertAt b (zeroIndex indices) indices) ], [ Some b ]
        | _ -> dynamicUpdateSliceGathered vals dims

/// _concatenate_batch_rule: every operand batched along axis 0 (unbatched ones broadcast).
let internal concatenateBatch (dim: int) : BatchRule =
    fun vals dims ->
        let size = axisSize vals dims
        [ L.concatenate (dim + 1) (List.map2 (fun v d -> matchAxis size 0 d v) vals dims) ], [ Some 0 ]

/// _pad_batch_rule: no padding along the batch axis. A batched padding value is JAX's way: pad
/// with 0, then select the per-example value where a padded mask of `true`s says "padding".
let internal padBatch (config: (int * int * int) list) : BatchRule =
    fun vals dims ->
        match vals, dims with
        | [ x; value ], [ Some b; None ] -> [ L.pad (List.insertAt b (0, 0, 0) config) x value ], [ Some b ]
        | [ x; value ], [ xd; Some 0 ] ->
            let b, x = match xd with Some b -> b, x | None -> 0, broadcastAt (dimOf value 0) 0 x
            let config = List.insertAt b (0, 0, 0) config
            let xa = Value.aval x
            let padded = L.pad config x (Concrete(NdArray.scalar xa.DType xa.Weak 0.0))
            let trues = L.broadcastInDim (List.ofArray xa.Shape) [] (Concrete(NdArray.scalar Bool false 1.0))
            let mask = L.pad config trues (Concrete(NdArray.scalar Bool false 0.0))
            let fill = L.broadcastInDim (List.ofArray (shapeOf padded)) [ b ] value
            [ L.select mask padded fill ], [ Some b ]
        | _ -> fail "vmap" $"pad's rule got operands {avalsText vals}"
