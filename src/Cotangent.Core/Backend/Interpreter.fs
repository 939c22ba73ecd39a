/// The reference interpreter of the lax dialect: runs primitives and jaxprs on concrete arrays
/// with XLA-on-CPU semantics. Takes NdArrays; returns NdArrays whose avals are exactly those of
/// the type rule (LaxTypes.abstractEval), which runs first, so a CotangentException comes before
/// any computing. Kernels live in Elementwise, Layout and Reductions; this file is the table.
module Cotangent.Core.Backend.Interpreter

open System.Collections.Generic
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Backend

module E = Elementwise
module L = Layout
module R = Reductions

let private only (args: NdArray list) =
    match args with
    | [ x ] -> x
    | _ -> Buffers.unreachable "a unary op without exactly one operand"

/// An elementwise operand's buffer for output `shape`: its own when it has that shape or is rank
/// 0 (kernels read a 1-element buffer as a broadcast scalar), else a materialized broadcast.
let private operand (shape: int[]) (x: NdArray) =
    if x.Aval.Shape.Length = 0 || x.Aval.Shape = shape then x.Data
    else Buffers.read x.Data shape (Buffers.broadcastOffsets x.Aval.Shape shape)

let private unary (kernel: ArrayData -> ArrayData) args = [ kernel (only args).Data ]

let private binary (kernel: int -> ArrayData -> ArrayData -> ArrayData) (out: Aval) args =
    match args with
    | [ x; y ] -> [ kernel (Aval.size out) (operand out.Shape x) (operand out.Shape y) ]
    | _ -> Buffers.unreachable "a binary op without exactly two operands"

/// Ops that only change the aval: the output shares the operand's (immutable) buffer.
let private same args = [ (only args).Data ]

let private selectN (out: Aval) args =
    match args with
    | which :: cases -> [ E.selectN (Aval.size out) which.Data (cases |> List.map (fun c -> c.Data)) ]
    | [] -> Buffers.unreachable "select_n without a predicate"

let private dotGeneral dims out args =
    match args with
    | [ lhs; rhs ] -> [ R.dotGeneral dims out lhs rhs ]
    | _ -> Buffers.unreachable "dot_general without two operands"

let private dynamicSlice sizes args =
    match args with
    | x :: indices -> [ L.dynamicSlice sizes x indices ]
    | [] -> Buffers.unreachable "dynamic_slice without an operand"

let private dynamicUpdateSlice args =
    match args with
    | x :: update :: indices -> [ L.dynamicUpdateSlice x update indices ]
    | _ -> Buffers.unreachable "dynamic_update_slice without an operand and an update"

let private pad config (out: Aval) args =
    match args with
    | [ x; value ] -> [ L.pad config out.Shape x value ]
    | _ -> Buffers.unreachable "pad without an operand and a padding value"

/// The array of `aval` over `data`; a mismatch is an interpreter bug, never the user's.
let private stamp (aval: Aval) (data: ArrayData) : NdArray =
    if NdArray.dtypeOf data <> aval.DType || NdArray.length data <> Aval.size aval then
        Buffers.unreachable $"a {NdArray.dtypeOf data} buffer of {NdArray.length data} elements for {Aval.str aval}"
    { Aval = aval; Data = data }

/// The output buffers of `prim` on `args`, whose type rule gave `outs`.
let rec private compute (prim: Prim) (args: NdArray list) (outs: Aval list) : ArrayData list =
    // Every primitive but pjit has exactly one output; pjit (which may have none) ignores `out`.
    let out =
        match outs with
        | o :: _ -> o
        | [] -> Aval.scalar Bool
    match prim with
    | Neg -> unary E.neg args
    | Sign -> unary E.sign args
    | Floor -> unary E.floor args
    | Ceil -> unary E.ceil args
    | Round rounding -> unary (E.round rounding) args
    | IsFinite -> unary E.isFinite args
    | Exp -> unary E.exp args
    | Log -> unary E.log args
    | Log1p -> unary E.log1p args
    | Expm1 -> unary E.expm1 args
    | Sin -> unary E.sin args
    | Cos -> unary E.cos args
    | Tan -> unary E.tan args
    | Tanh -> unary E.tanh args
    | Logistic -> unary E.logistic args
    | Sqrt -> unary E.sqrt args
    | Rsqrt -> unary E.rsqrt args
    | Abs -> unary E.abs args
    | IntegerPow y -> unary (E.integerPow y) args
    | Not -> unary E.not' args
    | Pow -> binary E.pow out args
    | Add -> binary E.add out args
    | Sub -> binary E.sub out args
    | Mul -> binary E.mul out args
    | Div -> binary E.div out args
    | Rem -> binary E.rem out args
    | Max -> binary E.max out args
    | Min -> binary E.min out args
    | Atan2 -> binary E.atan2 out args
    | Eq -> binary E.eq out args
    | Ne -> binary E.ne out args
    | Lt -> binary E.lt out args
    | Le -> binary E.le out args
    | Gt -> binary E.gt out args
    | Ge -> binary E.ge out args
    | And -> binary E.and' out args
    | Or -> binary E.or' out args
    | AddAny -> binary E.add out args
    | SelectN -> selectN out args
    | ConvertElementType(dtype, _) -> unary (E.convert dtype) args
    | BroadcastInDim(_, bdims) -> [ L.broadcastInDim bdims out.Shape (only args) ]
    | Reshape _ -> same args
    | Squeeze _ -> same args
    | ExpandDims _ -> same args
    | Transpose perm -> [ L.transpose perm (only args) ]
    | ReduceSum axes -> [ R.reduceSum axes out (only args) ]
    | ReduceMax axes -> [ R.reduceMax axes out (only args) ]
    | ReduceMin axes -> [ R.reduceMin axes out (only args) ]
    | ReduceProd axes -> [ R.reduceProd axes out (only args) ]
    | Argmax(axes, _) -> [ R.argExtreme true axes.Head out (only args) ]
    | Argmin(axes, _) -> [ R.argExtreme false axes.Head out (only args) ]
    | Cumsum(axis, reverse) -> [ R.cumsum axis reverse (only args) ]
    | DotGeneral(dims, _) -> dotGeneral dims out args
    | Slice(starts, _, strides) -> [ L.slice starts strides out.Shape (only args) ]
    | DynamicSlice sizes -> dynamicSlice sizes args
    | DynamicUpdateSlice -> dynamicUpdateSlice args
    | Concatenate dim -> [ L.concatenate dim out args ]
    | Pad config -> pad config out args
    | Rev dims -> [ L.rev dims (only args) ]
    | Iota(dtype, _, dim) -> [ L.iota dtype out.Shape dim ]
    | StopGradient -> same args
    | Pjit(_, closed) -> evalJaxpr closed.Jaxpr closed.Consts args |> List.map (fun a -> a.Data)
    | Scan s -> scan s args outs

/// scan, step by step: x slices are contiguous blocks of xs (row-major, axis 0 outermost), and
/// each step's y slices are kept by index and stacked once at the end.
and private scan (s: ScanParams) (args: NdArray list) (outs: Aval list) : ArrayData list =
    let consts, carry0, xs = scanGroups s args
    let ysAvals = List.skip s.NumCarry outs
    let block (aval: Aval) = if s.Length = 0 then 0 else Aval.size aval / s.Length
    let ys = ysAvals |> List.map (fun _ -> Array.zeroCreate<NdArray> s.Length) |> Array.ofList
    let mutable carry = carry0
    for step in 0 .. s.Length - 1 do
        let i = if s.Reverse then s.Length - 1 - step else step
        let slices =
            xs |> List.map (fun x ->
                let n = block x.Aval
                { Aval = { x.Aval with Shape = x.Aval.Shape[1..] }; Data = Buffers.gather x.Data (Array.init n (fun k -> i * n + k)) })
        let results = evalJaxpr s.Jaxpr.Jaxpr s.Jaxpr.Consts (consts @ carry @ slices)
        carry <- List.take s.NumCarry results
        results |> List.skip s.NumCarry |> List.iteri (fun j y -> ys[j][i] <- y)
    let stack (stacked: Aval) (steps: NdArray[]) =
        L.concatenate 0 stacked (steps |> Array.map (fun y -> { y with Aval = { y.Aval with Shape = Array.append [| 1 |] y.Aval.Shape } }) |> List.ofArray)
    (carry |> List.map (fun c -> c.Data)) @ List.map2 stack ysAvals (List.ofArray ys)

/// Runs one primitive on concrete arrays: checks with LaxTypes.abstractEval, then computes
/// outputs with exactly those avals.
and eval (prim: Prim) (args: NdArray list) : NdArray list =
    let outs = LaxTypes.abstractEval prim (args |> List.map (fun a -> a.Aval))
    List.map2 stamp outs (compute prim args outs)

/// Runs a jaxpr on concrete arrays (consts for ConstVars, args for InVars); pjit's region is
/// evaluated recursively. An equation's type error carries the equation's source site.
and evalJaxpr (jaxpr: Jaxpr<Prim>) (consts: NdArray list) (args: NdArray list) : NdArray list =
    let expected = jaxpr.InVars |> List.map (fun v -> Aval.str v.Aval)
    let given = args |> List.map (fun a -> Aval.str a.Aval)
    if consts.Length <> jaxpr.ConstVars.Length || given <> expected then
        let text (xs: string list) = System.String.Join(", ", xs)
        raise (CotangentException("", $"a jaxpr of inputs ({text expected}) and {jaxpr.ConstVars.Length} consts was given ({text given}) and {consts.Length} consts", None))
    let env = Dictionary<Var, NdArray>()
    List.iter2 (fun v a -> env[v] <- a) jaxpr.ConstVars consts
    List.iter2 (fun v a -> env[v] <- a) jaxpr.InVars args
    let read atom =
        match atom with
        | Var v -> env[v]
        | Lit a -> a
    for eqn in jaxpr.Eqns do
        let outs =
            try
                eval eqn.Op (List.map read eqn.Inputs)
            with :? CotangentException as e when e.CallSite.IsNone && eqn.Source.IsSome ->
                raise (CotangentException(e.Primitive, e.Detail, eqn.Source))
        List.iter2 (fun v a -> env[v] <- a) eqn.Outs outs
    List.map read jaxpr.OutVars
