/// Transposition of linear jaxprs (JAX's ad.backward_pass): equations in reverse order, each
/// linear primitive's transpose rule maps the cotangent of its output to cotangents of its
/// undefined (linear) inputs; contributions to one var accumulate with add_any. Takes a jaxpr
/// linear in its invars, its residuals and output cotangents; returns the invars' cotangents.
module Cotangent.Core.Passes.Transpose

open System.Collections.Generic
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Tracing
open Cotangent.Core.Passes.Jvp
module L = Cotangent.Core.LaxOps

/// A primal input of a linear equation: a known value, or the linear (undefined) input.
type Primal =
    | Defined of Value
    | Undefined of Aval

let private avalOf (p: Primal) =
    match p with
    | Defined v -> Value.aval v
    | Undefined a -> a

let private isUndefined (p: Primal) =
    match p with
    | Undefined _ -> true
    | Defined _ -> false

let private defined (p: Primal) =
    match p with
    | Defined v -> v
    | Undefined a -> fail "transpose" $"expected a known operand, got the linear input {Aval.str a}"

// lax helpers that, as in JAX, bind nothing for an identity
let private reshapeTo (shape: int[]) (x: Value) = if (Value.aval x).Shape = shape then x else L.reshape (List.ofArray shape) x
let private transposeBy (perm: int list) (x: Value) = if perm = [ 0 .. perm.Length - 1 ] then x else L.transpose perm x

/// _unbroadcast: sums a cotangent over the dimensions its operand was broadcast along.
let unbroadcast (aval: Aval) (x: Value) =
    let xs = (Value.aval x).Shape
    if Shape.equal xs aval.Shape then x
    elif aval.Shape.Length = 0 then L.reduceSum [ 0 .. xs.Length - 1 ] x
    else
        let dims = [ 0 .. xs.Length - 1 ] |> List.filter (fun i -> xs[i] <> aval.Shape[i])
        reshapeTo aval.Shape (L.reduceSum dims x)

/// A transpose rule: the output cotangent (never a symbolic zero here) and the primal inputs
/// to a cotangent per input (None for inputs that are not linear).
type TransposeRule = Value -> Primal list -> Tangent option list

let private ct (v: Value) = Some(NonZero v)
let private whenUndefined (p: Primal) (f: unit -> Value) = if isUndefined p then ct (f ()) else None

let private mulT : TransposeRule =
    fun t ps ->
        match ps with
        | [ Undefined x; y ] -> [ ct (unbroadcast x (L.mul t (defined y))); None ]
        | [ x; Undefined y ] -> [ None; ct (unbroadcast y (L.mul (defined x) t)) ]
        | _ -> fail "mul" "transpose needs exactly one linear operand"

let private broadcastInDimT (shape: int list) (bdims: int list) : TransposeRule =
    fun t ps ->
        let operand = avalOf ps.Head
        let unitDims = [ 0 .. operand.Shape.Length - 1 ] |> List.filter (fun i -> operand.Shape[i] = 1)
        let kept = bdims |> List.indexed |> List.filter (fun (i, _) -> not (List.contains i unitDims)) |> List.map snd
        let axes = [ 0 .. shape.Length - 1 ] |> List.filter (fun d -> not (List.contains d kept))
        [ ct (NumpyArrays.expandDims unitDims (L.reduceSum axes t)) ]

let private reduceSumT (axes: int list) : TransposeRule =
    fun t ps ->
        let shape = (avalOf ps.Head).Shape
        let kept = [ 0 .. shape.Length - 1 ] |> List.filter (fun i -> not (List.contains i axes))
        [ ct (L.broadcastInDim (List.ofArray shape) kept t) ]

let private selectT : TransposeRule =
    fun t ps ->
        let which = defined ps.Head
        let zeros = fullLike t 0.0
        let cases = ps.Tail
        if (Value.aval which).DType = Bool then
            None :: (cases |> List.mapi (fun i c -> whenUndefined c (fun () -> if i = 0 then L.select which zeros t else L.select which t zeros)))
        else
            None :: (cases |> List.mapi (fun i c -> whenUndefined c (fun () -> L.select (L.eq which (strongConst which (float i))) t zeros)))

let private sliceT (starts: int list) (strides: int list option) : TransposeRule =
    fun t ps ->
        let shape = (avalOf ps.Head).Shape
        let tshape = (Value.aval t).Shape
        let config =
            match strides with
            | None -> List.init shape.Length (fun i -> starts[i], shape[i] - (starts[i] + tshape[i]), 0)
            | Some st ->
                List.init shape.Length (fun i ->
                    let realLimit = starts[i] + (if tshape[i] = 0 then 0 else 1 + (tshape[i] - 1) * st[i])
                    starts[i], shape[i] - realLimit, st[i] - 1)
        [ ct (L.pad config t (strongConst t 0.0)) ]

let private concatenateT (dim: int) : TransposeRule =
    fun t ps ->
        let tshape = (Value.aval t).Shape
        let sizes = ps |> List.map (fun p -> (avalOf p).Shape[dim])
        let offsets = List.scan (+) 0 sizes
        ps |> List.mapi (fun i p ->
            whenUndefined p (fun () ->
                let starts = List.init tshape.Length (fun d -> if d = dim then offsets[i] else 0)
                let limits = List.init tshape.Length (fun d -> if d = dim then offsets[i + 1] else tshape[d])
                L.slice starts limits None t))

let private padT (config: (int * int * int) list) : TransposeRule =
    fun t ps ->
        let rank = config.Length
        let total (x: Value) = L.reduceSum [ 0 .. rank - 1 ] x
        let operand () =
            let unpadded = L.pad (config |> List.map (fun (lo, hi, _) -> -lo, -hi, 0)) t (strongConst t 0.0)
            let ushape = (Value.aval unpadded).Shape
            L.slice (List.replicate rank 0) (List.ofArray ushape) (Some(config |> List.map (fun (_, _, i) -> i + 1))) unpadded
        match ps with
        | [ x; v ] ->
            let tOperand = if isUndefined x then Some(operand ()) else None
            let tValue = if isUndefined v then Some(L.sub (total t) (total (defaultArg tOperand (operand ())))) else None
            [ Option.map NonZero tOperand; Option.map NonZero tValue ]
        | _ -> fail "pad" "takes an operand and a padding value"

let private dotGeneralT (dims: DotDims) (pref: DType option) : TransposeRule =
    let remaining (rank: int) (a: int list) (b: int list) = [ 0 .. rank - 1 ] |> List.filter (fun i -> not (List.contains i a || List.contains i b))
    let argsort (xs: int list) = xs |> List.indexed |> List.sortBy snd |> List.map fst
    /// _dot_general_transpose_lhs
    let lhsBar (g: Value) (x: Aval) (y: Aval) (xContract: int list) (yContract: int list) (xBatch: int list) (yBatch: int list) (swap: bool) (yValue: Value) =
        let xKept = remaining x.Shape.Length xContract xBatch
        let yKept = remaining y.Shape.Length yContract yBatch
        let nb = xBatch.Length
        let ansBatch = [ 0 .. nb - 1 ]
        let ansY =
            if swap then [ nb .. nb + yKept.Length - 1 ]
            else [ nb + xKept.Length .. nb + xKept.Length + yKept.Length - 1 ]
        let d = { LhsContract = ansY; RhsContract = yKept; LhsBatch = ansBatch; RhsBatch = yBatch }
        let xContractSortedByY = argsort yContract |> List.map (fun i -> xContract[i])
        let outAxes = argsort (xBatch @ xKept @ xContractSortedByY)
        let bar = transposeBy outAxes (L.dotGeneral d pref g yValue)
        if (Value.aval bar).DType <> x.DType then L.convertElementType x.DType x.Weak bar else bar
    fun t ps ->
        match ps with
        | [ Undefined x; y ] ->
            [ ct (lhsBar t x (Value.aval (defined y)) dims.LhsContract dims.RhsContract dims.LhsBatch dims.RhsBatch false (defined y)); None ]
        | [ x; Undefined y ] ->
            [ None; ct (lhsBar t y (Value.aval (defined x)) dims.RhsContract dims.LhsContract dims.RhsBatch dims.LhsBatch true (defined x)) ]
        | _ -> fail "dot_general" "transpose needs exactly one linear operand"

let private notLinear (prim: Prim) : TransposeRule =
    fun _ _ -> fail (Lax.name prim) "is not linear in its inputs: it has no transpose rule (a non-linear operation reached a linear jaxpr)"

/// The transpose rule of each primitive, in Prim order.
let rule (prim: Prim) : TransposeRule =
    match prim with
    | Neg -> fun t _ -> [ ct (L.neg t) ]
    | Sign | Floor | Ceil | Round _ | IsFinite | Exp | Log | Log1p | Expm1 | Sin | Cos | Tan | Tanh
    | Logistic | Sqrt | Rsqrt | Abs | IntegerPow _ | Not | Pow -> notLinear prim
    | Add -> fun t ps -> ps |> List.map (fun p -> ct (unbroadcast (avalOf p) t))
    | Sub -> fun t ps -> [ ct (unbroadcast (avalOf ps[0]) t); ct (unbroadcast (avalOf ps[1]) (L.neg t)) ]
    | Mul -> mulT
    | Div -> fun t ps -> [ ct (unbroadcast (avalOf ps[0]) (L.div t (defined ps[1]))); None ]
    | Rem | Max | Min | Atan2 | Eq | Ne | Lt | Le | Gt | Ge | And | Or -> notLinear prim
    | AddAny -> fun t _ -> [ ct t; ct t ]
    | SelectN -> selectT
    | ConvertElementType _ -> fun t ps -> let a = avalOf ps.Head in [ ct (L.convertElementType a.DType a.Weak t) ]
    | BroadcastInDim(shape, dims) -> broadcastInDimT shape dims
    | Reshape _ -> fun t ps -> [ ct (reshapeTo (avalOf ps.Head).Shape t) ]
    | Squeeze dims -> fun t _ -> [ ct (NumpyArrays.expandDims dims t) ]
    | ExpandDims dims -> fun t _ -> [ ct (L.squeeze dims t) ]
    | Transpose perm -> fun t _ -> [ ct (L.transpose (perm |> List.indexed |> List.sortBy snd |> List.map fst) t) ]
    | ReduceSum axes -> reduceSumT axes
    | ReduceMax _ | ReduceMin _ | ReduceProd _ | Argmax _ | Argmin _ -> notLinear prim
    | Cumsum(axis, reverse) -> fun t _ -> [ ct (L.cumsum axis (not reverse) t) ]
    | DotGeneral(dims, pref) -> dotGeneralT dims pref
    | Slice(starts, _, strides) -> sliceT starts strides
    | DynamicSlice _ ->
        fun t ps ->
            let a = avalOf ps.Head
            let zeros = NumpyArrays.full a.DType (List.ofArray a.Shape) 0.0
            ct (L.dynamicUpdateSlice zeros t (ps.Tail |> List.map defined)) :: List.map (fun _ -> None) ps.Tail
    | DynamicUpdateSlice ->
        fun t ps ->
            let indices = ps.Tail.Tail |> List.map defined
            let update = avalOf ps[1]
            // lax._zeros(t, shape=update.shape): t's dtype and weak type at the update's shape
            let zeros () = NumpyArrays.fullOf { Value.aval t with Shape = update.Shape } 0.0
            let operandCt = whenUndefined ps[0] (fun () -> L.dynamicUpdateSlice t (zeros ()) indices)
            let updateCt = whenUndefined ps[1] (fun () -> L.dynamicSlice (List.ofArray update.Shape) t indices)
            operandCt :: updateCt :: List.map (fun _ -> None) indices
    | Concatenate dim -> concatenateT dim
    | Pad config -> padT config
    | Rev dims -> fun t _ -> [ ct (L.rev dims t) ]
    | Iota _ | StopGradient -> notLinear prim
    // a region has several outputs: backwardPass transposes it (pjitTranspose)
    | Pjit _ -> fun _ _ -> fail "pjit" "is transposed as a region, not by a one-output rule"
    // a region has several outputs: backwardPass transposes it (scanTranspose)
    | Scan _ -> fun _ _ -> fail "scan" "is transposed as a region, not by a one-output rule"

/// backward_pass: cotangents of the invars of a jaxpr linear in its undefined `args`, given its
/// constvars' values, its defined (non-linear) args and the cotangents of its outputs (symbolic
/// zeros allowed). Defined args get a cotangent only if a rule wrote one, as in JAX.
let rec backwardPassWith (jaxpr: Jaxpr<Prim>) (consts: Value list) (args: Primal list) (cts: Tangent list) : Tangent list =
    use eqns = Scratch.ofList jaxpr.Eqns
    // each var's primal as the rules take it, made once per var rather than once per read
    let primals = VarTable<Primal>()
    List.iter2 (fun v c -> primals[v] <- Defined c) jaxpr.ConstVars consts
    List.iter2 (fun v a -> match a with Defined _ -> primals[v] <- a | Undefined _ -> ()) jaxpr.InVars args
    let ctEnv = VarTable<Tangent>()
    let write (atom: Atom) (t: Tangent option) =
        match atom, t with
        | Var v, Some(NonZero _ as c) ->
            ctEnv[v] <- (match ctEnv.TryGetValue v with
                         | true, existing -> addTangents existing c
                         | _ -> c)
        | _ -> ()
    let read (v: Var) =
        match ctEnv.TryGetValue v with
        | true, c ->
            ctEnv.Remove v |> ignore
            c
        | _ -> Zero v.Aval
    let readPrimal (atom: Atom) =
        match atom with
        | Lit a -> Defined(Concrete a)
        | Var v ->
            match primals.TryGetValue v with
            | true, p -> p
            | _ ->
                let p = Undefined v.Aval
                primals[v] <- p
                p
    List.iter2 (fun a c -> write a (Some c)) jaxpr.OutVars cts
    let anyNonZero (cts: Tangent list) = cts |> List.exists (function NonZero _ -> true | Zero _ -> false)
    // read only for an equation whose cotangent is not a symbolic zero
    let primalsOf (eqn: Eqn<Prim>) = List.map readPrimal eqn.Inputs
    for k in eqns.Length - 1 .. -1 .. 0 do
        let eqn = eqns[k]
        match eqn.Op, eqn.Outs with
        | Pjit(name, closed), outs ->
            let outCts = List.map read outs
            if anyNonZero outCts then List.iter2 write eqn.Inputs (pjitTranspose name closed outCts (primalsOf eqn))
        | Scan scan, outs ->
            let outCts = List.map read outs
            if anyNonZero outCts then List.iter2 write eqn.Inputs (scanTranspose scan outCts (primalsOf eqn))
        | op, [ out ] ->
            match read out with
            | NonZero t -> List.iter2 write eqn.Inputs (rule op t (primalsOf eqn))
            | Zero _ -> ()
        | op, outs -> fail (Lax.name op) $"transpose of a primitive with {outs.Length} outputs"
    jaxpr.InVars |> List.map read

/// _pjit_transpose: one pjit (JAX keeps the name) of the region's backward pass, taking the
/// defined inputs (residuals), then the nonzero output cotangents, and giving the inputs'
/// cotangents that are not symbolic zeros.
and private pjitTranspose (name: string) (closed: ClosedJaxpr<Prim>) (cts: Tangent list) (ins: Primal list) : Tangent option list =
    let definedIns = ins |> List.choose (function Defined v -> Some v | Undefined _ -> None)
    let nonzeroCts = nonZeroValues cts
    let outNonzeros = ref []
    let body (args: Value list) =
        let defined, ctValues = List.splitAt definedIns.Length args
        let rest = ref defined
        let primals =
            ins |> List.map (fun p ->
                match p with
                | Defined _ ->
                    let v = rest.Value.Head
                    rest.Value <- rest.Value.Tail
                    Defined v
                | Undefined _ -> p)
        let ctsIn = withZeros (cts |> List.map (function NonZero _ -> true | Zero _ -> false)) (closed.Jaxpr.OutVars |> List.map Atom.aval) ctValues
        let ctsOut = backwardPassWith closed.Jaxpr (closed.Consts |> List.map Concrete) primals ctsIn
        outNonzeros.Value <- ctsOut |> List.map (function NonZero _ -> true | Zero _ -> false)
        nonZeroValues ctsOut
    let inputs = definedIns @ nonzeroCts
    let transposed = Numpy.traceClosedRegion body (inputs |> List.map Value.aval)
    let outs = bind (Pjit(name, transposed)) inputs
    withZeros outNonzeros.Value (ins |> List.map avalOf) outs
    |> List.map (function NonZero v -> Some(NonZero v) | Zero _ -> None)

/// _scan_transpose: a scan in the other direction over the body's backward pass. Defined consts
/// and xs (residuals) are read as they are; the linear consts' cotangents accumulate in carries
/// from zeros, the carries' cotangents are carried, the linear xs' cotangents are the new ys and
/// the ys' cotangents the new xs. The body is linear in its carries, so they are always undefined.
and private scanTranspose (s: ScanParams) (cts: Tangent list) (ins: Primal list) : Tangent option list =
    let nk = s.NumCarry
    let consts, carries, xs = scanGroups s ins
    let constAvals, carryAvals, xAvals = scanGroups s (s.Jaxpr.Jaxpr.InVars |> List.map (fun v -> v.Aval))
    let definedValues (ps: Primal list) = ps |> List.choose (function Defined v -> Some v | Undefined _ -> None)
    let linear (ps: Primal list) (xs: 'a list) = List.zip ps xs |> List.filter (fst >> isUndefined) |> List.map snd
    let residual (ps: Primal list) (xs: 'a list) = List.zip ps xs |> List.filter (fst >> isUndefined >> not) |> List.map snd
    let resConsts, resXs = definedValues consts, definedValues xs
    let linConstAvals = linear consts constAvals
    let step (args: Value list) =
        let rc, rest = List.splitAt resConsts.Length args
        let acc, rest = List.splitAt linConstAvals.Length rest
        let ctCarry, rest = List.splitAt nk rest
        let rx, ctYs = List.splitAt resXs.Length rest
        let refill (ps: Primal list) (avals: Aval list) (values: Value list) =
            let cell = ref values
            List.map2 (fun p (a: Aval) ->
                match p with
                | Defined _ ->
                    let v = cell.Value.Head
                    cell.Value <- cell.Value.Tail
                    Defined v
                | Undefined _ -> Undefined a) ps avals
        let primals = refill consts constAvals rc @ List.map Undefined carryAvals @ refill xs xAvals rx
        let ctsOut = backwardPassWith s.Jaxpr.Jaxpr (s.Jaxpr.Consts |> List.map Concrete) primals (List.map NonZero (ctCarry @ ctYs))
        let cConsts, cCarry, cXs = scanGroups s ctsOut
        List.map2 (fun a c -> L.addAny a (instantiate c)) acc (linear consts cConsts) @ List.map instantiate cCarry @ List.map instantiate (linear xs cXs)
    let ysAvals = s.Jaxpr.Jaxpr.OutVars |> List.skip nk |> List.map Atom.aval
    let stepAvals = (resConsts |> List.map Value.aval) @ linConstAvals @ carryAvals @ residual xs xAvals @ ysAvals
    let transposed = Numpy.traceClosedRegion step stepAvals
    let ctCarryIn, ctYs = List.splitAt nk (List.map instantiate cts)
    let operands = resConsts @ (linConstAvals |> List.map (fun a -> instantiate (Zero a))) @ ctCarryIn @ resXs @ ctYs
    let scan = { s with Reverse = not s.Reverse; NumConsts = resConsts.Length; NumCarry = linConstAvals.Length + nk; Jaxpr = transposed }
    let outs = bind (Scan scan) operands
    let constCts, rest = List.splitAt linConstAvals.Length outs
    let carryCts, xsCts = List.splitAt nk rest
    let back (ps: Primal list) (values: Value list) =
        let cell = ref values
        ps |> List.map (fun p ->
            if isUndefined p then
                let v = cell.Value.Head
                cell.Value <- cell.Value.Tail
                Some(NonZero v)
            else None)
    let carryBack = List.map2 (fun p c -> if isUndefined p then Some(NonZero c) else None) carries carryCts
    back consts constCts @ carryBack @ back xs xsCts

/// backward_pass of a jaxpr linear in all its invars.
let backwardPass (jaxpr: Jaxpr<Prim>) (consts: Value list) (cts: Tangent list) : Tangent list =
    backwardPassWith jaxpr consts (jaxpr.InVars |> List.map (fun v -> Undefined v.Aval)) cts
