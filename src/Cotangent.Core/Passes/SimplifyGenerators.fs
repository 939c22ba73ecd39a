/// simplify's rules for index generators and two-valued selects (IEEE-exact, like all of simplify).
/// A generator is an elementwise expression of iotas and splats: cheaper to recompute at a slice's
/// shape than to load, so layout ops move into it (slice(eq(iota, iota)) = eq(iota', k)). An
/// elementwise op whose array operands all take one of two values under one predicate
/// (select_n(b, splat c0, splat c1), convert(b)) and whose other operands are splats is evaluated
/// on the scalars (LLVM's FoldOpIntoSelect): op(select(b, c0, c1), s) = select(b, op(c0, s), op(c1, s)).
module Cotangent.Core.Passes.SimplifyGenerators

open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Passes.SimplifyFacts

let private rank (a: Atom) = (Atom.aval a).Shape.Length

/// The scalar every element of `a` is: a rank-0 atom, or broadcast_in_dim of one (asked of most
/// operands, so answered without allocating).
let private uniform (facts: Facts) (a: Atom) : Atom voption =
    if rank a = 0 then ValueSome a
    else
        match facts.Producer a with
        | Some { Op = BroadcastInDim(_, []); Inputs = [ s ] } when rank s = 0 -> ValueSome s
        | _ -> ValueNone

/// a = select_n(b, splat c0, splat c1) with a bool b of a's shape (convert(b) is one): (b, c0, c1).
let private selectForm (facts: Facts) (a: Atom) : struct (Atom * Atom * Atom) voption =
    let aval = Atom.aval a
    if aval.Shape.Length = 0 then ValueNone
    else
        match facts.Producer a with
        | Some { Op = SelectN; Inputs = [ b; x0; x1 ] } when (Atom.aval b).DType = Bool && (Atom.aval b).Shape = aval.Shape ->
            match uniform facts x0, uniform facts x1 with
            | ValueSome c0, ValueSome c1 -> ValueSome(struct (b, c0, c1))
            | _ -> ValueNone
        | Some { Op = ConvertElementType _; Inputs = [ b ] } when (Atom.aval b).DType = Bool ->
            let lit (v: float) = Lit(NdArray.scalar aval.DType aval.Weak v)
            ValueSome(struct (b, lit 0.0, lit 1.0))
        | _ -> ValueNone

/// Elementwise ops whose every implementation rounds the same (IEEE's correctly rounded ops,
/// comparisons, selects, conversions): computing them on scalars instead of arrays changes no bit.
/// Transcendentals are not: the interpreter's vector and scalar paths round differently.
let private exact (prim: Prim) =
    match prim with
    | Neg | Sign | Floor | Ceil | Round _ | IsFinite | Sqrt | Abs | Not | Add | Sub | Mul | Div | Rem | Max | Min
    | Eq | Ne | Lt | Le | Gt | Ge | And | Or | AddAny | SelectN | ConvertElementType _ -> true
    | Exp | Log | Log1p | Expm1 | Sin | Cos | Tan | Tanh | Logistic | Rsqrt | IntegerPow _ | Pow | Atan2 -> false
    | BroadcastInDim _ | Reshape _ | Squeeze _ | ExpandDims _ | Transpose _ | ReduceSum _ | ReduceMax _
    | ReduceMin _ | ReduceProd _ | Argmax _ | Argmin _ | Cumsum _ | DotGeneral _ | Slice _ | DynamicSlice _
    | DynamicUpdateSlice | Concatenate _ | Pad _ | Rev _ | Iota _ | StopGradient | Pjit _ | Scan _ -> false

/// Whether `a` is an index generator: an iota, a splat, or an exact elementwise op of generators whose
/// array operands have its shape (memoized in `facts`; bounded depth).
let rec private isGenerator (facts: Facts) (depth: int) (a: Atom) : bool =
    match a with
    | Lit _ -> true
    | Var v ->
        match facts.Generators.TryGetValue v with
        | true, known -> known
        | _ ->
            let known =
                match facts.Producer a with
                | Some { Op = Iota _ } -> true
                | Some { Op = BroadcastInDim(_, []); Inputs = [ s ] } -> rank s = 0
                | Some { Op = prim; Inputs = ins } when exact prim && depth < 16 ->
                    ins |> List.forall (fun i -> rank i = 0 || ((Atom.aval i).Shape = v.Aval.Shape && isGenerator facts (depth + 1) i))
                | Some _ | None -> false
            facts.Generators[v] <- known
            known

/// The layout ops that move into generators: each reads a subset of its operand's elements
/// (no broadcast, which would compute more), and has an iota rule below.
let private movesIntoGenerators (prim: Prim) =
    match prim with
    | Slice _ | Squeeze _ | ExpandDims _ | Transpose _ | Rev _ -> true
    | _ -> false

/// layout(iota) as an iota of the result's shape (scaled and offset for a slice, mirrored for a
/// rev); an iota along a dimension of size 1 is a splat of 0.
let private layoutOfIota (prim: Prim) (dtype: DType) (dim: int) (operand: int[]) (out: Aval) : Rewrite list =
    let shape = List.ofArray out.Shape
    let lit (v: int) = In(Lit(NdArray.scalar dtype false (float v)))
    let iotaAt d = [ Iota(dtype, shape, d), [] ]
    let ops =
        match prim with
        | Slice(starts, _, strides) ->
            let start, stride = starts[dim], (match strides with Some s -> s[dim] | None -> 1)
            iotaAt dim
            @ (if stride <> 1 then [ Mul, [ Prev 0; lit stride ] ] else [])
            @ (if start <> 0 then [ Add, [ Prev(if stride <> 1 then 1 else 0); lit start ] ] else [])
        | Squeeze dims when List.contains dim dims -> [ BroadcastInDim(shape, []), [ lit 0 ] ]
        | Squeeze dims -> iotaAt (dim - (dims |> List.filter (fun d -> d < dim) |> List.length))
        | ExpandDims dims ->
            let kept = List.init shape.Length id |> List.filter (fun d -> not (List.contains d dims))
            iotaAt kept[dim]
        | Transpose perm -> iotaAt (List.findIndex ((=) dim) perm)
        | Rev dims when List.contains dim dims -> iotaAt dim @ [ Sub, [ lit (operand[dim] - 1); Prev 0 ] ]
        | Rev _ -> iotaAt dim
        | _ -> []
    if ops.IsEmpty then [] else [ Ops ops ]

/// iota along a dimension of size 1 = splat 0.
let unitIota (dtype: DType) (shape: int list) (dim: int) : Rewrite list =
    if shape[dim] = 1 then [ Ops [ BroadcastInDim(shape, []), [ In(Lit(NdArray.scalar dtype false 0.0)) ] ] ] else []

/// A layout op of an iota, of a generator's elementwise op (the op applied to its operands'
/// layouts), or of a select over a generator predicate (the select over the predicate's layout).
let layoutRules (facts: Facts) (prim: Prim) (inputs: Atom list) (out: Aval) : Rewrite list =
    match inputs with
    | [ x ] when movesIntoGenerators prim ->
        let splatTo (c: Atom) = BroadcastInDim(List.ofArray out.Shape, []), [ In c ]
        match facts.Producer x, selectForm facts x with
        | Some { Op = Iota(dtype, _, dim) }, _ -> layoutOfIota prim dtype dim (Atom.aval x).Shape out
        | _, ValueSome(struct (b, c0, c1)) when isGenerator facts 0 b ->
            [ Ops [ prim, [ In b ]; splatTo c0; splatTo c1; SelectN, [ Prev 0; Prev 1; Prev 2 ] ] ]
        | Some { Op = op; Inputs = ins }, ValueNone when exact op && isGenerator facts 0 x ->
            let moved = ins |> List.filter (fun a -> rank a > 0)
            let operand = ins |> List.fold (fun (k, acc) a -> if rank a > 0 then k + 1, acc @ [ Prev k ] else k, acc @ [ In a ]) (0, []) |> snd
            [ Ops((moved |> List.map (fun a -> prim, [ In a ])) @ [ op, operand ]) ]
        | _ -> []
    | _ -> []

/// An elementwise op whose array operands are selects over one predicate or splats: the select
/// of the op on the scalars (a splat of it when no operand is a select).
let foldIntoSelect (facts: Facts) (prim: Prim) (inputs: Atom list) (out: Aval) : Rewrite list =
    // an operand as (predicate, its value where false, where true); a uniform one as (None, s, s).
    // Asked again where needed rather than kept in a list: the unbatching of a size-1 vmap
    // applies this rule to thousands of ops, and a list of parts was a tenth of the pass's bytes
    let part (a: Atom) : struct (Atom voption * Atom * Atom) voption =
        match selectForm facts a with
        | ValueSome(struct (b, c0, c1)) -> ValueSome(struct (ValueSome b, c0, c1))
        | ValueNone -> match uniform facts a with ValueSome s -> ValueSome(struct (ValueNone, s, s)) | ValueNone -> ValueNone
    // most equations have an operand of neither form, found before anything is built
    let rec allParts (atoms: Atom list) = match atoms with [] -> true | a :: rest -> (part a).IsSome && allParts rest
    let applies =
        match prim with
        | SelectN -> false
        | _ -> out.Shape.Length > 0 && exact prim
    if not (applies && allParts inputs) then []
    else
        let splat k = BroadcastInDim(List.ofArray out.Shape, []), [ Prev k ]
        let on pick = prim, inputs |> List.map (fun a -> In(pick (part a).Value))
        let predicate a = match part a with ValueSome(struct (ValueSome b, _, _)) -> Some b | _ -> None
        match inputs |> List.choose predicate |> List.distinct with
        | [] -> [ Ops [ on (fun struct (_, s, _) -> s); splat 0 ] ]
        | [ b ] when (Atom.aval b).Shape = out.Shape ->
            [ Ops [ on (fun struct (_, c0, _) -> c0); on (fun struct (_, _, c1) -> c1); splat 0; splat 1; SelectN, [ In b; Prev 2; Prev 3 ] ] ]
        | _ -> []
