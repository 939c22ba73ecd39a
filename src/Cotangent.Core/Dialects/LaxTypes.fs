/// Type rules of the lax dialect: for each primitive, the output avals from the input avals.
/// A rule rejects what JAX rejects with a CotangentException naming the primitive, the avals and
/// what was expected (the caller adds the user's call site). Rules never look at values.
module Cotangent.Core.Dialects.LaxTypes

open System
open Cotangent.Core
open Cotangent.Core.Dialects.Lax

let private fail (prim: Prim) (detail: string) : 'a =
    raise (CotangentException(Lax.name prim, detail, None))

let private avalsText (avals: Aval list) = String.Join(", ", avals |> List.map Aval.str)

let private dtypeNames (avals: Aval list) =
    String.Join(", ", avals |> List.map (fun a -> DType.name a.DType))

/// The dtype classes a primitive accepts, named as JAX names them in its messages.
type private DTypeClass =
    | AnyType
    | Numeric // int or float
    | Signed // signed int or float
    | Floating
    | Integral // bool or int
    | Ordered // bool, int or float

let private admits cls dtype =
    match cls with
    | AnyType -> true
    | Numeric -> dtype <> Bool
    | Signed -> dtype = I32 || DType.isFloat dtype
    | Floating -> DType.isFloat dtype
    | Integral -> dtype = Bool || DType.isInteger dtype
    | Ordered -> true

let private className cls =
    match cls with
    | AnyType -> "any dtype"
    | Numeric -> "a numeric dtype (int or float)"
    | Signed -> "a signed dtype (int32 or float)"
    | Floating -> "a floating dtype (float32 or float64)"
    | Integral -> "a bool or integer dtype"
    | Ordered -> "an ordered dtype"

let private checkDType prim cls (avals: Aval list) =
    for a in avals do
        if not (admits cls a.DType) then
            fail prim $"does not accept dtype {DType.name a.DType} (got {avalsText avals}); expected {className cls}"

let private checkSameDType prim (avals: Aval list) =
    match avals with
    | [] -> ()
    | first :: rest ->
        for a in rest do
            if a.DType <> first.DType then
                fail prim $"requires arguments to have the same dtypes, got {dtypeNames avals} ({avalsText avals})"

let private checkArity prim n (avals: Aval list) =
    if avals.Length <> n then
        fail prim $"takes {n} operand(s), got {avals.Length} ({avalsText avals})"

let private checkAxes prim (what: string) (rank: int) (axes: int list) (shown: Aval) =
    for a in axes do
        if a < 0 || a >= rank then
            fail prim $"{what} {a} is out of range for an operand of rank {rank} ({Aval.str shown}); expected 0 <= {what} < {rank}"
    if List.length (List.distinct axes) <> List.length axes then
        fail prim $"{what}s {Shape.pyTuple axes} contain a duplicate (operand {Aval.str shown})"

/// Elementwise broadcasting as lax does it: rank-0 operands combine with anything; the others
/// must agree in rank, and in each dimension be equal or 1.
let private broadcastShapes prim (avals: Aval list) =
    let shaped = avals |> List.filter (fun a -> a.Shape.Length > 0)
    match shaped with
    | [] -> [||]
    | first :: _ ->
        let rank = first.Shape.Length
        if shaped |> List.exists (fun a -> a.Shape.Length <> rank) then
            fail prim $"arrays must have the same number of dimensions, got {avalsText avals}"
        Array.init rank (fun i ->
            let dims = shaped |> List.map (fun a -> a.Shape[i]) |> List.distinct
            match dims |> List.filter (fun d -> d <> 1) with
            | [] -> 1
            | [ d ] -> d
            | _ -> fail prim $"got incompatible shapes for broadcasting: {avalsText avals}")

/// `broadcastShapes`, with the common case first and nothing allocated (every op of every trace
/// asks): the operands' one shape, as an operand's own array.
let private broadcastShape prim (avals: Aval list) =
    let mutable common = match avals with a :: _ -> a.Shape | [] -> [||]
    let mutable agree = true
    for a in avals do
        if a.Shape.Length > 0 then
            if common.Length = 0 then common <- a.Shape
            elif not (Shape.equal a.Shape common) then agree <- false
    if agree then common else broadcastShapes prim avals

let private allWeak (avals: Aval list) = avals |> List.forall (fun a -> a.Weak)

/// The first of `avals` that is the aval of `dtype`, `weak` and `shape` (the same shape array),
/// else a new one: most ops keep an operand's type, and sharing its aval (avals are never
/// mutated) spares an object per equation at every trace level.
let rec private sharedAval (dtype: DType) (weak: bool) (shape: int[]) (avals: Aval list) =
    match avals with
    | a :: rest ->
        if a.DType = dtype && a.Weak = weak && obj.ReferenceEquals(a.Shape, shape) then a
        else sharedAval dtype weak shape rest
    | [] -> { Shape = shape; DType = dtype; Weak = weak }

/// n operands of one class and dtype, broadcast; result of `outDType` (None: the operands').
let private naryop prim n cls (outDType: DType option) (avals: Aval list) =
    checkArity prim n avals
    checkDType prim cls avals
    checkSameDType prim avals
    let dtype = defaultArg outDType avals.Head.DType
    let weak = outDType.IsNone && allWeak avals
    [ sharedAval dtype weak (broadcastShape prim avals) avals ]

let private unop prim cls avals = naryop prim 1 cls None avals
let private binop prim cls avals = naryop prim 2 cls None avals
let private compare prim cls avals = naryop prim 2 cls (Some Bool) avals

/// Rank-0 avals, one per dtype and weak type: a traced loop makes a scalar at every step (a
/// squeezed row, a sum), and one shared aval lets sharedAval and the staging traces' type-rule
/// memo (Tracing.StagedEqns) see the operands of the steps' later equations as the same.
let private scalarSlot (dtype: DType) (weak: bool) =
    2 * (match dtype with Bool -> 0 | I32 -> 1 | U32 -> 2 | F32 -> 3 | F64 -> 4) + (if weak then 1 else 0)

let private scalars =
    let table = Array.zeroCreate 10
    for d in DType.all do
        for w in [ false; true ] do table[scalarSlot d w] <- { Shape = [||]; DType = d; Weak = w }
    table

/// `x` at `shape`, shared when it is a scalar.
let private reshaped (x: Aval) (shape: int[]) =
    if shape.Length = 0 then scalars[scalarSlot x.DType x.Weak] else { x with Shape = shape }

let private reduceShape prim (axes: int list) (operand: Aval) =
    checkAxes prim "axis" (Aval.rank operand) axes operand
    operand.Shape |> Array.indexed |> Array.filter (fun (i, _) -> not (List.contains i axes)) |> Array.map snd

let private reduction prim cls (axes: int list) (avals: Aval list) =
    checkArity prim 1 avals
    checkDType prim cls avals
    let x = avals.Head
    [ reshaped x (reduceShape prim axes x) ]

let private argReduction prim (axes: int list) (indexDType: DType) (avals: Aval list) =
    checkArity prim 1 avals
    checkDType prim Ordered avals
    let x = avals.Head
    if axes.Length <> 1 then fail prim $"takes exactly one axis, got {Shape.pyTuple axes}"
    if not (DType.isInteger indexDType) then fail prim $"index_dtype must be an integer dtype, got {DType.name indexDType}"
    let shape = reduceShape prim axes x
    if x.Shape[axes.Head] = 0 then fail prim $"cannot reduce over an empty axis {axes.Head} of {Aval.str x}"
    [ Aval.make indexDType shape ]

let private selectN prim (avals: Aval list) =
    match avals with
    | which :: (case0 :: _ as cases) ->
        if which.DType <> Bool && which.DType <> I32 then
            fail prim $"predicate must be bool or int32, got {DType.name which.DType}"
        if which.DType = Bool && cases.Length > 2 then
            fail prim $"a bool predicate selects between 2 cases, got {cases.Length}"
        if cases |> List.exists (fun c -> c.Shape <> case0.Shape || c.DType <> case0.DType) then
            fail prim $"cases must have the same shapes and dtypes, got {avalsText cases}"
        if which.Shape.Length > 0 && which.Shape <> case0.Shape then
            fail prim $"predicate must be scalar or have the cases' shape, got {Aval.str which} for cases {Aval.str case0}"
        [ { case0 with Weak = allWeak cases } ]
    | _ -> fail prim $"takes a predicate and at least one case, got {avalsText avals}"

let private broadcastInDim prim (shape: int list) (bdims: int list) (avals: Aval list) =
    checkArity prim 1 avals
    let x = avals.Head
    let shape = Array.ofList shape
    if bdims.Length <> x.Shape.Length then
        fail prim $"broadcast_dimensions {Shape.pyTuple bdims} must have one entry per operand dimension ({Aval.str x})"
    checkAxes prim "broadcast dimension" shape.Length bdims { x with Shape = shape }
    if bdims <> List.sort bdims then
        fail prim $"broadcast_dimensions {Shape.pyTuple bdims} must be strictly increasing"
    bdims |> List.iteri (fun i d ->
        if x.Shape[i] <> 1 && x.Shape[i] <> shape[d] then
            fail prim $"operand dimension {i} of {Aval.str x} has size {x.Shape[i]}, which is neither 1 nor the size {shape[d]} of target dimension {d} of shape {Shape.pyTuple shape}")
    if shape |> Array.exists (fun d -> d < 0) then fail prim $"shape {Shape.pyTuple shape} has a negative dimension"
    [ { x with Shape = shape } ]

let private reshape prim (sizes: int list) (avals: Aval list) =
    checkArity prim 1 avals
    let x = avals.Head
    let shape = Array.ofList sizes
    if shape |> Array.exists (fun d -> d < 0) || Shape.size shape <> Aval.size x then
        fail prim $"cannot reshape {Aval.str x} ({Aval.size x} elements) to new_sizes {Shape.pyTuple sizes} ({Shape.size shape} elements); the sizes must agree"
    [ { x with Shape = shape } ]

let private squeeze prim (dims: int list) (avals: Aval list) =
    checkArity prim 1 avals
    let x = avals.Head
    checkAxes prim "dimension" x.Shape.Length dims x
    for d in dims do
        if x.Shape[d] <> 1 then fail prim $"cannot squeeze dimension {d} of {Aval.str x}: its size is {x.Shape[d]}, expected 1"
    [ reshaped x (x.Shape |> Array.indexed |> Array.filter (fun (i, _) -> not (List.contains i dims)) |> Array.map snd) ]

let private expandDims prim (dims: int list) (avals: Aval list) =
    checkArity prim 1 avals
    let x = avals.Head
    let rank = x.Shape.Length + dims.Length
    checkAxes prim "dimension" rank dims x
    let rest = Collections.Generic.Queue<int>(x.Shape)
    [ { x with Shape = Array.init rank (fun i -> if List.contains i dims then 1 else rest.Dequeue()) } ]

let private transpose prim (perm: int list) (avals: Aval list) =
    checkArity prim 1 avals
    let x = avals.Head
    if List.sort perm <> [ 0 .. x.Shape.Length - 1 ] then
        fail prim $"permutation {Shape.pyTuple perm} is not a permutation of the {x.Shape.Length} dimensions of {Aval.str x}"
    [ { x with Shape = perm |> List.map (fun p -> x.Shape[p]) |> Array.ofList } ]

let private cumsum prim axis (avals: Aval list) =
    checkArity prim 1 avals
    checkDType prim Numeric avals
    checkAxes prim "axis" (Aval.rank avals.Head) [ axis ] avals.Head
    avals

let private dotGeneral prim (d: DotDims) (pref: DType option) (avals: Aval list) =
    checkArity prim 2 avals
    checkDType prim Numeric avals
    checkSameDType prim avals
    let lhs, rhs = avals[0], avals[1]
    match pref with
    | Some p when p = Bool || (DType.isInteger p && DType.isFloat lhs.DType) ->
        fail prim $"preferred_element_type {DType.name p} is incompatible with inputs {avalsText avals}; expected (integral, integral), (integral, floating) or (floating, floating)"
    | Some _ | None -> ()
    let sizes (x: Aval) (dims: int list) = dims |> List.map (fun i -> x.Shape[i])
    if d.LhsContract.Length <> d.RhsContract.Length || d.LhsBatch.Length <> d.RhsBatch.Length then
        fail prim $"lhs and rhs must name as many contracting and batch dimensions each, got dimension_numbers {Lax.paramsOf (DotGeneral(d, pref)) |> List.head |> snd}"
    checkAxes prim "lhs dimension" lhs.Shape.Length (d.LhsContract @ d.LhsBatch) lhs
    checkAxes prim "rhs dimension" rhs.Shape.Length (d.RhsContract @ d.RhsBatch) rhs
    if sizes lhs d.LhsBatch <> sizes rhs d.RhsBatch then
        fail prim $"batch dimensions must have equal sizes, got {Shape.pyTuple (sizes lhs d.LhsBatch)} in {Aval.str lhs} and {Shape.pyTuple (sizes rhs d.RhsBatch)} in {Aval.str rhs}"
    if sizes lhs d.LhsContract <> sizes rhs d.RhsContract then
        fail prim $"contracting dimensions must have equal sizes, got {Shape.pyTuple (sizes lhs d.LhsContract)} (lhs dims {Shape.pyTuple d.LhsContract} of {Aval.str lhs}) and {Shape.pyTuple (sizes rhs d.RhsContract)} (rhs dims {Shape.pyTuple d.RhsContract} of {Aval.str rhs})"
    let free (x: Aval) used = [ 0 .. x.Shape.Length - 1 ] |> List.filter (fun i -> not (List.contains i used)) |> sizes x
    let shape = sizes lhs d.LhsBatch @ free lhs (d.LhsContract @ d.LhsBatch) @ free rhs (d.RhsContract @ d.RhsBatch)
    [ { Shape = Array.ofList shape; DType = defaultArg pref lhs.DType; Weak = pref.IsNone && allWeak avals } ]

let private slice prim (starts: int list) (limits: int list) (strides: int list option) (avals: Aval list) =
    checkArity prim 1 avals
    let x = avals.Head
    let rank = x.Shape.Length
    let strides = defaultArg strides (List.replicate rank 1)
    if starts.Length <> rank || limits.Length <> rank || strides.Length <> rank then
        fail prim $"start_indices {Shape.pyTuple starts}, limit_indices {Shape.pyTuple limits} and strides need one entry per dimension of {Aval.str x}"
    let shape =
        List.init rank (fun i ->
            let s, l, st = starts[i], limits[i], strides[i]
            if s < 0 || l > x.Shape[i] || s > l || st < 1 then
                fail prim $"invalid slice [{s}:{l}:{st}] of dimension {i} of {Aval.str x}; expected 0 <= start <= limit <= {x.Shape[i]} and stride >= 1"
            (l - s + st - 1) / st)
    [ { x with Shape = Array.ofList shape } ]

let private checkIndices prim (x: Aval) (indices: Aval list) =
    if indices.Length <> x.Shape.Length then
        fail prim $"needs one index per dimension of {Aval.str x}, got {indices.Length}"
    for i in indices do
        if i.Shape.Length <> 0 || not (DType.isInteger i.DType) then
            fail prim $"indices must be integer scalars, got {Aval.str i}"

let private dynamicSlice prim (sizes: int list) (avals: Aval list) =
    match avals with
    | x :: indices ->
        checkIndices prim x indices
        if sizes.Length <> x.Shape.Length || List.exists2 (fun s d -> s < 0 || s > d) sizes (List.ofArray x.Shape) then
            fail prim $"slice_sizes {Shape.pyTuple sizes} must fit within {Aval.str x}"
        [ { x with Shape = Array.ofList sizes } ]
    | [] -> fail prim "takes an operand and indices"

let private dynamicUpdateSlice prim (avals: Aval list) =
    match avals with
    | x :: update :: indices ->
        checkIndices prim x indices
        checkSameDType prim [ x; update ]
        if update.Shape.Length <> x.Shape.Length || Array.exists2 (fun u d -> u > d) update.Shape x.Shape then
            fail prim $"update {Aval.str update} must have the rank of the operand {Aval.str x} and fit within it"
        [ x ]
    | _ -> fail prim "takes an operand, an update and indices"

let private concatenate prim dim (avals: Aval list) =
    match avals with
    | [] -> fail prim "needs at least one operand"
    | first :: _ ->
        checkSameDType prim avals
        let rank = first.Shape.Length
        checkAxes prim "dimension" rank [ dim ] first
        let agrees (a: Aval) =
            a.Shape.Length = rank && (let mutable ok = true in (for i in 0 .. rank - 1 do if i <> dim && a.Shape[i] <> first.Shape[i] then ok <- false); ok)
        for a in avals do
            if not (agrees a) then
                fail prim $"operands must have equal shapes except in dimension {dim}, got {avalsText avals}"
        let total = avals |> List.sumBy (fun a -> a.Shape[dim])
        [ { first with Shape = Array.mapi (fun i s -> if i = dim then total else s) first.Shape; Weak = allWeak avals } ]

let private pad prim (config: (int * int * int) list) (avals: Aval list) =
    checkArity prim 2 avals
    checkSameDType prim avals
    let x, value = avals[0], avals[1]
    if value.Shape.Length <> 0 then fail prim $"padding_value must be a scalar, got {Aval.str value}"
    if config.Length <> x.Shape.Length then
        fail prim $"padding_config needs one (low, high, interior) per dimension of {Aval.str x}, got {config.Length}"
    let shape =
        config |> List.mapi (fun i (lo, hi, interior) ->
            let d = x.Shape[i]
            let n = lo + hi + d + (max (d - 1) 0) * interior
            if interior < 0 || n < 0 then fail prim $"padding ({lo}, {hi}, {interior}) of dimension {i} of {Aval.str x} gives size {n}; expected interior >= 0 and a size >= 0"
            n)
    [ { x with Shape = Array.ofList shape } ]

let private iota prim dtype (shape: int list) dim (avals: Aval list) =
    checkArity prim 0 avals
    if dtype = Bool then fail prim "dtype must be numeric, got bool"
    if dim < 0 || dim >= shape.Length then fail prim $"dimension {dim} is out of range for shape {Shape.pyTuple shape}"
    [ Aval.make dtype (Array.ofList shape) ]

let private pjit prim (closed: ClosedJaxpr<Prim>) (avals: Aval list) =
    let expected = closed.Jaxpr.InVars |> List.map (fun v -> v.Aval)
    let stripped = List.map Aval.strong
    if stripped avals <> stripped expected then
        fail prim $"arguments {avalsText avals} do not match the jaxpr's inputs {avalsText expected}"
    closed.Jaxpr.OutVars |> List.map Atom.aval

/// scan: operands are consts, the initial carry, and xs (each of leading dimension `length`);
/// the body takes (consts, carry, x slices) and returns (carry, y slices) of the same carry types.
let private scan prim (s: ScanParams) (avals: Aval list) =
    let body = s.Jaxpr.Jaxpr
    let ins = body.InVars |> List.map (fun v -> v.Aval)
    let outs = body.OutVars |> List.map Atom.aval
    let fixedCount = s.NumConsts + s.NumCarry
    if s.Length < 0 || s.NumConsts < 0 || s.NumCarry < 0 || ins.Length < fixedCount || outs.Length < s.NumCarry then
        fail prim $"length {s.Length}, {s.NumConsts} consts and {s.NumCarry} carries do not fit a body of {ins.Length} inputs and {outs.Length} outputs"
    if avals.Length <> ins.Length then fail prim $"expected {ins.Length} operands (the body's inputs), got {avals.Length}"
    let stripped = List.map Aval.strong
    let (_, carryIn, _), carryOut = scanGroups s ins, List.take s.NumCarry outs
    if stripped carryIn <> stripped carryOut then
        fail prim $"the body's carry outputs {avalsText carryOut} do not match its carry inputs {avalsText carryIn}"
    let slices = avals |> List.skip fixedCount |> List.map (fun x ->
        if x.Shape.Length = 0 || x.Shape[0] <> s.Length then
            fail prim $"xs {Aval.str x} must have a leading dimension of the length {s.Length}"
        { x with Shape = x.Shape[1..] })
    if stripped (List.take fixedCount avals @ slices) <> stripped ins then
        fail prim $"operands {avalsText avals} (x slices {avalsText slices}) do not match the body's inputs {avalsText ins}"
    carryOut @ (outs |> List.skip s.NumCarry |> List.map (fun y -> { Aval.strong y with Shape = Array.append [| s.Length |] y.Shape }))

/// The output avals of `prim` applied to operands of `avals`; raises CotangentException when
/// the primitive does not accept them.
let abstractEval (prim: Prim) (avals: Aval list) : Aval list =
    match prim with
    | Neg -> unop prim Numeric avals
    | Sign -> unop prim Numeric avals
    | Floor | Ceil | Round _ -> unop prim Floating avals
    | IsFinite -> naryop prim 1 Floating (Some Bool) avals
    | Exp | Log | Log1p | Expm1 | Sin | Cos | Tan | Tanh | Logistic | Sqrt | Rsqrt -> unop prim Floating avals
    | Abs -> unop prim Signed avals
    | IntegerPow y ->
        if y < 0 && avals |> List.exists (fun a -> DType.isInteger a.DType) then
            fail prim $"integers cannot be raised to negative powers, got y={y} for {avalsText avals}"
        unop prim Numeric avals
    | Not -> unop prim Integral avals
    | Pow | Atan2 -> binop prim Floating avals
    | Add | Sub | Mul | Div | Rem -> binop prim Numeric avals
    | Max | Min -> binop prim AnyType avals
    | Eq | Ne -> compare prim AnyType avals
    | Lt | Le | Gt | Ge -> compare prim Ordered avals
    | And | Or -> binop prim Integral avals
    | AddAny -> binop prim AnyType avals
    | SelectN -> selectN prim avals
    | ConvertElementType(dtype, weak) ->
        checkArity prim 1 avals
        [ { avals.Head with DType = dtype; Weak = weak } ]
    | BroadcastInDim(shape, dims) -> broadcastInDim prim shape dims avals
    | Reshape sizes -> reshape prim sizes avals
    | Squeeze dims -> squeeze prim dims avals
    | ExpandDims dims -> expandDims prim dims avals
    | Transpose perm -> transpose prim perm avals
    | ReduceSum axes | ReduceProd axes -> reduction prim Numeric axes avals
    | ReduceMax axes | ReduceMin axes -> reduction prim AnyType axes avals
    | Argmax(axes, d) | Argmin(axes, d) -> argReduction prim axes d avals
    | Cumsum(axis, _) -> cumsum prim axis avals
    | DotGeneral(dims, pref) -> dotGeneral prim dims pref avals
    | Slice(starts, limits, strides) -> slice prim starts limits strides avals
    | DynamicSlice sizes -> dynamicSlice prim sizes avals
    | DynamicUpdateSlice -> dynamicUpdateSlice prim avals
    | Concatenate dim -> concatenate prim dim avals
    | Pad config -> pad prim config avals
    | Rev dims ->
        checkArity prim 1 avals
        checkAxes prim "dimension" (Aval.rank avals.Head) dims avals.Head
        avals
    | Iota(dtype, shape, dim) -> iota prim dtype shape dim avals
    | StopGradient -> checkArity prim 1 avals; avals
    | Pjit(_, closed) -> pjit prim closed avals
    | Scan s -> scan prim s avals
