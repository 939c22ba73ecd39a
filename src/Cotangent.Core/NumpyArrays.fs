/// jax.numpy's array-level functions on values: reductions, shape manipulation, contraction,
/// indexing and constructors, emitting the equations JAX's jnp emits for them. Axes may be
/// negative (numpy style); an axis out of range is an error naming the primitive and the shape.
module Cotangent.Core.NumpyArrays

open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Tracing
open Cotangent.Core.Numpy
module L = Cotangent.Core.LaxOps

let private aval (x: Value) = Value.aval x
let private shape (x: Value) = (aval x).Shape

/// numpy's canonicalize_axis: `axis` in [-rank, rank) to [0, rank).
let canonicalizeAxis (prim: string) (rank: int) (x: Value) (axis: int) =
    if axis < -rank || axis >= rank then
        fail prim $"axis {axis} is out of bounds for array of dimension {rank} ({Aval.str (aval x)}); expected {-rank} <= axis < {rank}"
    if axis < 0 then axis + rank else axis

let private axesOf (prim: Prim) (x: Value) (axes: int list option) =
    let r = (shape x).Length
    match axes with
    | None -> [ 0 .. r - 1 ]
    | Some axes -> axes |> List.map (canonicalizeAxis (Lax.name prim) r x)

/// lax.expand_dims: a broadcast_in_dim that inserts size-1 dimensions at `dims` of the result.
let expandDims (dims: int list) (x: Value) =
    let r = (shape x).Length + dims.Length
    // broadcast_in_dim binds nothing for a rank-0 operand and result, as in JAX
    if r = 0 then x
    else
        let dims = dims |> List.map (canonicalizeAxis "broadcast_in_dim" r x) |> List.sort
        let kept = [ 0 .. r - 1 ] |> List.filter (fun i -> not (List.contains i dims))
        let rest = System.Collections.Generic.Queue<int>(shape x)
        let newShape = [ 0 .. r - 1 ] |> List.map (fun i -> if List.contains i dims then 1 else rest.Dequeue())
        L.broadcastInDim newShape kept x

let private reduction (prim: int list -> Prim) (prepare: Value -> Value) (axes: int list option) (keepDims: bool) (x: Value) =
    let x = prepare x
    let axes = axesOf (prim []) x axes
    let out = bind1 (prim axes) [ x ]
    if keepDims then expandDims axes out else out

/// Sums of bools count: they are summed as int32.
let private numeric (x: Value) = if (aval x).DType = Bool then convert (I32, false) x else x

let sum axes keepDims x = reduction ReduceSum numeric axes keepDims x
let prod axes keepDims x = reduction ReduceProd numeric axes keepDims x
let max axes keepDims x = reduction ReduceMax id axes keepDims x
let min axes keepDims x = reduction ReduceMin id axes keepDims x

/// mean: the sum (as float) divided by the number of elements reduced.
let mean (axes: int list option) (keepDims: bool) (x: Value) =
    let x = List.head (promoteDtypesInexact [ x ])
    let n = axesOf (ReduceSum []) x axes |> List.fold (fun acc a -> acc * (shape x)[a]) 1
    let total = sum axes keepDims x
    L.div total (Concrete(NdArray.scalar (aval total).DType false (float n)))

let private argReduce (prim: int -> Prim) (axis: int option) (x: Value) =
    match axis with
    | Some a -> bind1 (prim (canonicalizeAxis (Lax.name (prim 0)) (shape x).Length x a)) [ x ]
    | None -> bind1 (prim 0) [ L.reshape [ Shape.size (shape x) ] x ]

let argmax axis x = argReduce (fun a -> Argmax([ a ], I32)) axis x
let argmin axis x = argReduce (fun a -> Argmin([ a ], I32)) axis x

let cumsum (axis: int) (x: Value) =
    L.cumsum (canonicalizeAxis "cumsum" (shape x).Length x axis) false (numeric x)

/// reshape with at most one -1 (inferred); no equation when the shape is unchanged.
let reshape (newShape: int list) (x: Value) =
    let size = Shape.size (shape x)
    let known = newShape |> List.filter (fun d -> d <> -1) |> List.fold (*) 1
    let sizes =
        match newShape |> List.filter (fun d -> d = -1) |> List.length with
        | 0 -> newShape
        | 1 when known > 0 && size % known = 0 -> newShape |> List.map (fun d -> if d = -1 then size / known else d)
        | _ -> fail "reshape" $"cannot reshape {Aval.str (aval x)} to {Shape.pyTuple newShape}: at most one -1, and it must divide the size"
    if List.ofArray (shape x) = sizes then x else L.reshape sizes x

/// transpose: reverses the axes when none are given.
let transpose (axes: int list option) (x: Value) =
    let r = (shape x).Length
    let perm =
        match axes with
        | None -> List.rev [ 0 .. r - 1 ]
        | Some p -> p |> List.map (canonicalizeAxis "transpose" r x)
    L.transpose perm x

/// squeeze: the given axes, or every size-1 axis.
let squeeze (axes: int list option) (x: Value) =
    let s = shape x
    let dims =
        match axes with
        | None -> [ 0 .. s.Length - 1 ] |> List.filter (fun i -> s[i] = 1)
        | Some a -> a |> List.map (canonicalizeAxis "squeeze" s.Length x)
    L.squeeze dims x

let concatenate (axis: int) (xs: Value list) =
    match xs with
    | [] -> fail "concatenate" "needs at least one array"
    | first :: _ ->
        let xs = promoteDtypes xs
        L.concatenate (canonicalizeAxis "concatenate" (shape first).Length first axis) xs

/// dot_general with jnp's dimension numbers; the output dtype is the promoted one.
let private contract (dims: DotDims) (x: Value) (y: Value) =
    match promoteDtypes [ x; y ] with
    | [ a; b ] -> L.dotGeneral dims (Some (aval a).DType) a b
    | _ -> failwith "unreachable"

let private noBatch lc rc = { LhsContract = lc; RhsContract = rc; LhsBatch = []; RhsBatch = [] }

/// numpy.dot: scalars multiply; otherwise contract the last axis of x with the second-to-last
/// (or only) axis of y.
let dot (x: Value) (y: Value) =
    let rx, ry = (shape x).Length, (shape y).Length
    if rx = 0 || ry = 0 then multiply x y
    else contract (noBatch [ rx - 1 ] [ (if ry = 1 then 0 else ry - 2) ]) x y

/// numpy.matmul: 1-D operands are promoted to matrices and the added axis removed afterwards;
/// leading batch axes must match (after numpy broadcasting of their rank).
let matmul (x: Value) (y: Value) =
    let rx, ry = (shape x).Length, (shape y).Length
    if rx = 0 || ry = 0 then fail "dot_general" $"matmul does not take scalars, got {Aval.str (aval x)} and {Aval.str (aval y)}"
    match rx, ry with
    | 1, _ | _, 1 | 2, 2 -> contract (noBatch [ rx - 1 ] [ (if ry = 1 then 0 else ry - 2) ]) x y
    | _ ->
        let r = Operators.max rx ry
        let x, y = broadcastToRank r x, broadcastToRank r y
        let batch = [ 0 .. r - 3 ]
        let target = broadcastShapes "dot_general" [ (shape x).[.. r - 3]; (shape y).[.. r - 3] ]
        let fit (v: Value) = broadcastTo (Array.append target (shape v).[r - 2 ..]) v
        contract { LhsContract = [ r - 1 ]; RhsContract = [ r - 2 ]; LhsBatch = batch; RhsBatch = batch } (fit x) (fit y)

/// x[i] along the leading axis: dynamic_slice with literal starts, then squeeze (as jnp does).
let index (i: int) (x: Value) =
    let s = shape x
    if s.Length = 0 then fail "dynamic_slice" $"cannot index a rank-0 array {Aval.str (aval x)}"
    if i < -s[0] || i >= s[0] then
        fail "dynamic_slice" $"index {i} is out of bounds for axis 0 with size {s[0]} ({Aval.str (aval x)})"
    let i = if i < 0 then i + s[0] else i
    let starts = Concrete(NdArray.scalar I32 false (float i)) :: List.replicate (s.Length - 1) (Concrete(NdArray.scalar I32 false 0.0))
    L.dynamicSlice (1 :: List.ofArray s[1..]) x starts |> L.squeeze [ 0 ]

/// The rows of x along the leading axis, as iterating a JAX array yields them (slice + squeeze).
let rows (x: Value) : Value seq =
    let s = shape x
    if s.Length = 0 then fail "slice" $"iteration over a rank-0 array {Aval.str (aval x)}"
    let rest = List.ofArray s[1..]
    let ones = List.replicate s.Length 1
    seq {
        for i in 0 .. s[0] - 1 ->
            L.slice (i :: List.map (fun _ -> 0) rest) (i + 1 :: rest) (Some ones) x |> L.squeeze [ 0 ]
    }

/// `value` with `aval`'s dtype, weak type and shape: a scalar, broadcast unless the shape is ()
/// (staged when tracing, as lax.full is).
let fullOf (aval: Aval) (value: float) =
    let scalar = Concrete(NdArray.scalar aval.DType aval.Weak value)
    if aval.Shape.Length = 0 then scalar else L.broadcastInDim (List.ofArray aval.Shape) [] scalar

/// full(shape, value) of a strong dtype.
let full (dtype: DType) (shape: int list) (value: float) = fullOf (Aval.make dtype (Array.ofList shape)) value

/// eye(n, m): jnp.eye's lax._eye (iota, add offset, iota, eq, convert_element_type).
let eye (dtype: DType) (n: int) (m: int) =
    let rows = L.add (L.iota I32 [ n; m ] 0) (Concrete(NdArray.scalar I32 false 0.0))
    let cols = L.iota I32 [ n; m ] 1
    L.convertElementType dtype false (L.eq rows cols)

/// arange(n) = iota.
let arange (dtype: DType) (n: int) = L.iota dtype [ n ] 0
