/// inline: replaces every pjit equation by its region's equations, recursively (MLIR's inliner,
/// JAX's pe.inline_jaxpr_into_trace). Takes a closed jaxpr; returns one with no pjit left.
/// Guarantees: region vars are renamed to fresh ones (a region inlined twice binds distinct vars);
/// region consts become constvars of the outer program, one per const (deduped by reference).
module Cotangent.Core.Passes.Inline

open System.Collections.Generic
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Passes.PassTypes

/// The program being built: its equations, its constvars with their consts, and a count.
type private Builder(closed: ClosedJaxpr<Prim>) =
    let eqns = ResizeArray<Eqn<Prim>>()
    let constVars = ResizeArray<Var>(closed.Jaxpr.ConstVars)
    let consts = ResizeArray<NdArray>(closed.Consts)
    let constIndex = Dictionary<NdArray, Var>(HashIdentity.Reference)
    do List.iter2 (fun v c -> constIndex.TryAdd(c, v) |> ignore) closed.Jaxpr.ConstVars closed.Consts
    member val Inlined = 0 with get, set
    member _.Emit(e: Eqn<Prim>) = eqns.Add e

    /// The outer constvar holding `value`: an existing one when the same array is already a const.
    member _.ConstVar(value: NdArray) : Var =
        match constIndex.TryGetValue value with
        | true, v -> v
        | _ ->
            let v = Var.fresh value.Aval
            constIndex[value] <- v
            constVars.Add v
            consts.Add value
            v

    member _.Result(jaxpr: Jaxpr<Prim>, outs: Atom list) : ClosedJaxpr<Prim> =
        { Jaxpr = { jaxpr with ConstVars = List.ofSeq constVars; Eqns = List.ofSeq eqns; OutVars = outs }
          Consts = List.ofSeq consts }

/// `atom` as a value of `aval`: pjit's type rule lets an argument's weak type differ from its
/// invar's, so a literal takes the invar's weak type and a var gets a convert_element_type.
let private coerce (builder: Builder) (aval: Aval) (atom: Atom) : Atom =
    match atom with
    | _ when Atom.aval atom = aval -> atom
    | Lit a -> Lit(NdArray.withWeak aval.Weak a)
    | Var _ ->
        let out = Var.fresh aval
        builder.Emit { Op = ConvertElementType(aval.DType, aval.Weak); Inputs = [ atom ]; Outs = [ out ]; Source = None }
        Var out

/// Emits `eqns` with inputs renamed by `env`; with `rename`, outputs get fresh vars (recorded in
/// `env`). A pjit's region is emitted in its place under an env of its own.
let rec private inlineEqns (builder: Builder) (env: VarTable<Atom>) (rename: bool) (eqns: Eqn<Prim> list) =
    for e in eqns do
        let inputs = e.Inputs |> List.map (subst env)
        match e.Op with
        | Pjit(_, closed) ->
            builder.Inlined <- builder.Inlined + 1
            let inner = VarTable<Atom>()
            List.iter2 (fun v c -> inner[v] <- Var(builder.ConstVar c)) closed.Jaxpr.ConstVars closed.Consts
            List.iter2 (fun (v: Var) a -> inner[v] <- coerce builder v.Aval a) closed.Jaxpr.InVars inputs
            inlineEqns builder inner true closed.Jaxpr.Eqns
            List.iter2 (fun o a -> env[o] <- subst inner a) e.Outs closed.Jaxpr.OutVars
        | Neg | Sign | Floor | Ceil | Round _ | IsFinite | Exp | Log | Log1p | Expm1 | Sin | Cos | Tan | Tanh
        | Logistic | Sqrt | Rsqrt | Abs | IntegerPow _ | Not | Pow | Add | Sub | Mul | Div | Rem | Max | Min
        | Atan2 | Eq | Ne | Lt | Le | Gt | Ge | And | Or | AddAny | SelectN | ConvertElementType _
        | BroadcastInDim _ | Reshape _ | Squeeze _ | ExpandDims _ | Transpose _ | ReduceSum _ | ReduceMax _
        | ReduceMin _ | ReduceProd _ | Argmax _ | Argmin _ | Cumsum _ | DotGeneral _ | Slice _ | DynamicSlice _
        | DynamicUpdateSlice | Concatenate _ | Pad _ | Rev _ | Iota _ | StopGradient | Scan _ ->
            let outs =
                if rename then
                    e.Outs |> List.map (fun o ->
                        let v = Var.fresh o.Aval
                        env[o] <- Var v
                        v)
                else e.Outs
            builder.Emit { e with Inputs = inputs; Outs = outs }

/// The `inline` pass: every pjit equation, at any depth, replaced by its region.
let inlineCalls (closed: ClosedJaxpr<Prim>) : ClosedJaxpr<Prim> * Stats =
    let isCall (e: Eqn<Prim>) = match e.Op with Pjit _ -> true | _ -> false
    // no call: the same program (most programs; no copy of its equations)
    if not (List.exists isCall closed.Jaxpr.Eqns) then closed, [ stat "num-inlined" "Number of pjit equations inlined" 0 ]
    else
        let builder = Builder closed
        let env = VarTable<Atom>()
        inlineEqns builder env false closed.Jaxpr.Eqns
        builder.Result(closed.Jaxpr, closed.Jaxpr.OutVars |> List.map (subst env)),
        [ stat "num-inlined" "Number of pjit equations inlined" builder.Inlined ]
