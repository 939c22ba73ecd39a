/// jax.numpy on values: numpy's broadcasting and JAX's type promotion (weak types included) over
/// the lax primitives, emitting the same equations JAX's jnp emits, so traced programs print
/// as JAX prints them. Constants that only change dtype are converted at once (JAX folds them).
module Cotangent.Core.Numpy

open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Tracing
module L = Cotangent.Core.LaxOps

// ---------------------------------------------------------------------------------------------
// Type promotion: JAX's lattice restricted to our dtypes (jax/_src/dtypes.py). Weak ints and
// floats are Python scalars: they defer to the other operand. x32 canonicalization: the join of
// int32 and uint32 (int64) is int32, and weak scalars default to int32 / float32.

// Lattice nodes in a topological order; a node's upper set is a bitmask over that order, so
// the least upper bound is the lowest bit of the intersection of the operands' upper sets.
//   bool < weak int < {int32, uint32} < int64 < weak float < float32 < float64
let private nBool, nWeakInt, nI32, nU32, nI64, nWeakFloat, nF32, nF64 = 0, 1, 2, 3, 4, 5, 6, 7

let private upperSet (node: int) =
    let above (nodes: int list) = nodes |> List.fold (fun mask n -> mask ||| (1 <<< n)) 0
    if node = nBool then 0xFF
    elif node = nWeakInt then above [ nWeakInt; nI32; nU32; nI64; nWeakFloat; nF32; nF64 ]
    elif node = nI32 then above [ nI32; nI64; nWeakFloat; nF32; nF64 ]
    elif node = nU32 then above [ nU32; nI64; nWeakFloat; nF32; nF64 ]
    elif node = nI64 then above [ nI64; nWeakFloat; nF32; nF64 ]
    elif node = nWeakFloat then above [ nWeakFloat; nF32; nF64 ]
    elif node = nF32 then above [ nF32; nF64 ]
    else above [ nF64 ]

let private upperSets = Array.init 8 upperSet

let private nodeOf (aval: Aval) =
    match aval.DType, aval.Weak with
    | Bool, _ -> nBool
    | (I32 | U32), true -> nWeakInt
    | (F32 | F64), true -> nWeakFloat
    | I32, false -> nI32
    | U32, false -> nU32
    | F32, false -> nF32
    | F64, false -> nF64

/// JAX's result_type over avals: the least upper bound in the lattice; weak when it is a weak node.
let resultType (avals: Aval list) : DType * bool =
    let mutable common = 0xFF
    for a in avals do
        common <- common &&& upperSets[nodeOf a]
    let join = System.Numerics.BitOperations.TrailingZeroCount common
    if join = nBool then Bool, false
    elif join = nWeakInt then I32, true
    elif join = nI32 || join = nI64 then I32, false
    elif join = nU32 then U32, false
    elif join = nWeakFloat then F32, true
    elif join = nF32 then F32, false
    else F64, false

/// Converts `x` to `dtype` (and weak flag); scalar constants are folded, as JAX folds them.
let convert (dtype: DType, weak: bool) (x: Value) : Value =
    let a = Value.aval x
    if a.DType = dtype && a.Weak = weak then x
    else
        match x with
        | Concrete arr when arr.Aval.Shape.Length = 0 && (arr.Aval.DType = dtype || DType.isFloat dtype) ->
            // a scalar widening to a float (or changing only its weak flag) is exact through float64
            Concrete(NdArray.scalar dtype weak (NdArray.item 0 arr))
        | Concrete arr when arr.Aval.Shape.Length = 0 ->
            Concrete(Backend.Interpreter.eval (ConvertElementType(dtype, weak)) [ arr ] |> List.head)
        | _ -> L.convertElementType dtype weak x

let promoteDtypes (xs: Value list) =
    let target = resultType (xs |> List.map Value.aval)
    if xs |> List.forall (fun x -> let a = Value.aval x in a.DType = fst target && a.Weak = snd target) then xs
    else xs |> List.map (convert target)

/// promote_dtypes_inexact: like promoteDtypes, then integers and bools become float32.
let promoteDtypesInexact (xs: Value list) =
    let dtype, weak = resultType (xs |> List.map Value.aval)
    let dtype = if DType.isFloat dtype then dtype else F32
    xs |> List.map (convert (dtype, weak))

let private rank (x: Value) = (Value.aval x).Shape.Length
let private shape (x: Value) = (Value.aval x).Shape

/// Prepends size-1 dimensions up to `r` with broadcast_in_dim (lax.broadcast_to_rank).
let broadcastToRank (r: int) (x: Value) =
    let k = rank x
    if k = r then x
    else L.broadcastInDim (List.replicate (r - k) 1 @ List.ofArray (shape x)) [ r - k .. r - 1 ] x

/// numpy rank promotion as jnp's promote_shapes does it: lax broadcasts rank-0 operands and
/// size-1 dimensions itself, so only operands of different non-zero ranks get broadcast_in_dim.
let promoteShapes (xs: Value list) =
    let ranks = xs |> List.map rank
    let sameRank = ranks |> List.forall (fun r -> r = ranks.Head)
    if sameRank then xs
    else
        let nonScalar = ranks |> List.filter (fun r -> r > 0) |> List.distinct
        if nonScalar.Length < 2 then xs else xs |> List.map (broadcastToRank (List.max ranks))

/// numpy's broadcast shape of several shapes, or an error naming `op` and the shapes.
let broadcastShapes (op: string) (shapes: int[] list) =
    let r = shapes |> List.map Array.length |> List.max
    let padded = shapes |> List.map (fun s -> Array.append (Array.create (r - s.Length) 1) s)
    Array.init r (fun i ->
        match padded |> List.map (fun s -> s[i]) |> List.filter (fun d -> d <> 1) |> List.distinct with
        | [] -> 1
        | [ d ] -> d
        | _ ->
            let shown = System.String.Join(", ", shapes |> List.map Shape.pyTuple)
            fail op $"incompatible shapes for broadcasting: {shown}")

/// Broadcasts `x` to `target` (numpy rules) with one broadcast_in_dim, or returns it unchanged.
let broadcastTo (target: int[]) (x: Value) =
    let s = shape x
    if s = target then x
    else
        broadcastShapes "broadcast_in_dim" [ s; target ] |> ignore
        let offset = target.Length - s.Length
        L.broadcastInDim (List.ofArray target) [ offset .. target.Length - 1 ] x

let private binary (op: Value -> Value -> Value) (x: Value) (y: Value) =
    let a, b = Value.aval x, Value.aval y
    // operands of one dtype, weak type and rank need no promotion (a traced loop's every step)
    if a.DType = b.DType && a.Weak = b.Weak && a.Shape.Length = b.Shape.Length then op x y
    else
        match promoteShapes (promoteDtypes [ x; y ]) with
        | [ a; b ] -> op a b
        | _ -> failwith "unreachable: two operands in, two out"

/// A binary op on operands promoted to a common float dtype and broadcast.
let private inexactBinary (op: Value -> Value -> Value) (x: Value) (y: Value) =
    match promoteShapes (promoteDtypesInexact [ x; y ]) with
    | [ a; b ] -> op a b
    | _ -> failwith "unreachable: two operands in, two out"

let private inexactUnary (op: Value -> Value) (x: Value) = op (List.head (promoteDtypesInexact [ x ]))

// ---------------------------------------------------------------------------------------------
// Elementwise

let add x y = binary L.add x y
let subtract x y = binary L.sub x y
let multiply x y = binary L.mul x y
/// true_divide: integers divide as floats.
let divide x y = inexactBinary L.div x y
let remainder x y = binary L.rem x y
let maximum x y = binary L.max x y
let minimum x y = binary L.min x y
let equal x y = binary L.eq x y
let notEqual x y = binary L.ne x y
let less x y = binary L.lt x y
let lessEqual x y = binary L.le x y
let greater x y = binary L.gt x y
let greaterEqual x y = binary L.ge x y
/// jnp's logical ops compare non-bool operands with zero first.
let private truth (x: Value) =
    let a = Value.aval x
    if a.DType = Bool then x else L.ne x (Concrete(NdArray.scalar a.DType a.Weak 0.0))

let logicalAnd x y = binary L.bitwiseAnd (truth x) (truth y)
let logicalOr x y = binary L.bitwiseOr (truth x) (truth y)
let arctan2 x y = inexactBinary L.atan2 x y

let negative x = L.neg x
let logicalNot x = L.bitwiseNot (truth x)
let sign x = L.sign x
/// Integers and bools are their own floor, ceil and round (jnp returns them unchanged).
let private unlessIntegral (op: Value -> Value) (x: Value) = if DType.isFloat (Value.aval x).DType then op x else x

/// abs of unsigned or bool values is the identity, as in jnp.
let absolute x = match (Value.aval x).DType with U32 | Bool -> x | I32 | F32 | F64 -> L.abs x
let floor x = unlessIntegral L.floor x
let ceil x = unlessIntegral L.ceil x
let round x = unlessIntegral (L.round ToNearestEven) x
let isFinite x = inexactUnary L.isFinite x
let exp x = inexactUnary L.exp x
let log x = inexactUnary L.log x
let log1p x = inexactUnary L.log1p x
let expm1 x = inexactUnary L.expm1 x
let sin x = inexactUnary L.sin x
let cos x = inexactUnary L.cos x
let tan x = inexactUnary L.tan x
let tanh x = inexactUnary L.tanh x
let sqrt x = inexactUnary L.sqrt x
let rsqrt x = inexactUnary L.rsqrt x
let sigmoid x = inexactUnary L.logistic x
let square x = L.integerPow 2 x
let stopGradient x = L.stopGradient x

/// power: a concrete integer scalar exponent becomes integer_pow (as jnp.power does).
let power (x: Value) (y: Value) =
    match y with
    | Concrete a when a.Aval.Shape.Length = 0 && DType.isInteger a.Aval.DType -> L.integerPow (int (NdArray.item 0 a)) x
    | _ -> inexactBinary L.pow x y

// ---------------------------------------------------------------------------------------------
// Regions: functions staged as the closed jaxpr of a pjit equation, as JAX's jit stages them.

/// Stages `f` at `avals` into a closed jaxpr. Tracers of enclosing traces that `f` closes over
/// cannot be constants of a region: then every constvar becomes a leading input, and the values
/// to pass for them come back as `captured` (empty when `f` closes over concrete arrays only).
let traceRegion (f: Value list -> Value list) (avals: Aval list) : ClosedJaxpr<Prim> * Value list =
    let jaxpr, consts = traceToJaxpr f avals
    let arrays = consts |> List.choose (function Concrete a -> Some a | Traced _ -> None)
    if arrays.Length = consts.Length then { Jaxpr = jaxpr; Consts = arrays }, []
    else { Jaxpr = { jaxpr with ConstVars = []; InVars = jaxpr.ConstVars @ jaxpr.InVars }; Consts = [] }, consts

/// A region's body as a function of values: its equations bound under the current traces.
let regionFun (closed: ClosedJaxpr<Prim>) : Value list -> Value list =
    evalJaxpr closed.Jaxpr (closed.Consts |> List.map Concrete)

/// Stages `f`, which closes over no tracer, at `avals`: how a transformation rule re-traces a
/// region (its jvp, its batched form, its known part, its transpose) into a new region.
let traceClosedRegion (f: Value list -> Value list) (avals: Aval list) : ClosedJaxpr<Prim> =
    match traceRegion f avals with
    | closed, [] -> closed
    | _, captured -> fail "pjit" $"a transformed region closed over {captured.Length} traced value(s) of an enclosing transformation"

/// Stages `f` as a nested jitted call (a pjit equation named `name`), as JAX's jit does.
let pjitCall (name: string) (f: Value list -> Value list) (args: Value list) : Value list =
    let closed, captured = traceRegion f (args |> List.map Value.aval)
    bind (Pjit(name, closed)) (captured @ args)

/// where(condition, x, y): jnp's `_where`, a jitted function (it prints as pjit name=_where).
let where (condition: Value) (x: Value) (y: Value) =
    let body (args: Value list) =
        match args with
        | [ c; x; y ] ->
            let c = if (Value.aval c).DType = Bool then c else L.ne c (convert ((Value.aval c).DType, false) (Concrete(NdArray.scalar (Value.aval c).DType false 0.0)))
            match promoteDtypes [ x; y ] with
            | [ x; y ] ->
                let target = broadcastShapes "select_n" [ shape c; shape x; shape y ]
                [ L.select (broadcastTo target c) (broadcastTo target x) (broadcastTo target y) ]
            | _ -> failwith "unreachable"
        | _ -> failwith "unreachable"
    pjitCall "_where" body [ condition; x; y ] |> List.head
