/// cse: common-subexpression elimination by hash-consing in one forward walk (MLIR's `cse`). Takes
/// a closed jaxpr; returns one where no two equations apply the same primitive, params and inputs
/// (a commutative op's two inputs in either order).
/// Guarantees: a removed equation's outputs are read from the first equal one (same avals, weak
/// types included); literals match only bit for bit (0.0 never stands for -0.0); regions untouched.
module Cotangent.Core.Passes.Cse

open System
open System.Collections.Generic
open Microsoft.FSharp.Core.CompilerServices
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Passes.PassTypes

/// An input as CSE compares it: a var by identity, a literal by dtype, weak type, shape and bits.
[<Struct>]
type internal AtomKey =
    | VarKey of id: int64
    | LitKey of dtype: DType * weak: bool * shape: int list * bits: int64 list

let private bits (a: NdArray) : int64 list =
    match a.Data with
    | BoolData d -> d |> Seq.map (fun b -> if b then 1L else 0L) |> List.ofSeq
    | I32Data d -> d |> Seq.map int64 |> List.ofSeq
    | U32Data d -> d |> Seq.map int64 |> List.ofSeq
    | F32Data d -> d |> Seq.map (fun x -> int64 (BitConverter.SingleToInt32Bits x)) |> List.ofSeq
    | F64Data d -> d |> Seq.map BitConverter.DoubleToInt64Bits |> List.ofSeq

let internal atomKey (atom: Atom) =
    match atom with
    | Var v -> VarKey v.Id
    | Lit a -> LitKey(a.Aval.DType, a.Aval.Weak, List.ofArray a.Aval.Shape, bits a)

/// A primitive as CSE compares it. Params without regions compare structurally; a primitive that
/// carries regions compares by its name, its params' text and each region's printed text, with the
/// regions' consts compared by reference (their values are not in the text).
[<CustomEquality; NoComparison>]
type private OpKey =
    | Plain of Prim
    | WithRegions of name: string * text: string list * consts: NdArray list

    override this.Equals(other) =
        match this, other with
        | Plain p, (:? OpKey as o) ->
            match o with
            | Plain q -> p = q
            | WithRegions _ -> false
        | WithRegions(n, t, c), (:? OpKey as o) ->
            match o with
            | WithRegions(m, u, d) -> n = m && t = u && c.Length = d.Length && List.forall2 (fun x y -> obj.ReferenceEquals(x, y)) c d
            | Plain _ -> false
        | _ -> false

    override this.GetHashCode() =
        match this with
        | Plain p -> hash p
        | WithRegions(n, t, _) -> hash (n, t)

let private opKey (prim: Prim) =
    match Lax.regions prim with
    | [] -> Plain prim
    | regions ->
        let paramText (name: string, value: ParamValue) =
            match value with
            | Text s -> name + "=" + s
            | SubJaxpr closed -> name + "=" + LaxText.print closed.Jaxpr
        WithRegions(Lax.name prim, Lax.paramsOf prim |> List.map paramText, regions |> List.collect (fun r -> r.Consts))

/// An atom's hash as `atomKey` would give it, building a key only for a literal.
let private atomHash (atom: Atom) =
    match atom with
    | Var v -> v.Id.GetHashCode()
    | Lit _ -> (atomKey atom).GetHashCode()

/// Atoms equal as their `atomKey`s are: a var by identity, a literal by dtype, weak type, shape and bits.
let private sameAtom (x: Atom) (y: Atom) =
    match x, y with
    | Var a, Var b -> a.Id = b.Id
    | Lit _, Lit _ -> (atomKey x).Equals(atomKey y)
    | Var _, Lit _ | Lit _, Var _ -> false

/// Keys of an op on atoms, compared without F#'s structural comparer (which boxes and type-tests
/// every node) and without building a key per input (ConsTable's comparer).
let private keys<'op when 'op: equality> =
    { new IEqualityComparer<struct ('op * Atom list)> with
        member _.GetHashCode(struct (op, atoms)) = atoms |> List.fold (fun h a -> h * 31 + atomHash a) (hash op)
        member _.Equals(struct (p, xs), struct (q, ys)) = xs.Length = ys.Length && List.forall2 sameAtom xs ys && p = q }

/// Ops whose two operands commute bit for bit (MLIR's Commutative trait): IEEE addition and
/// multiplication are commutative (two NaN operands give a NaN either way, its payload
/// unspecified, as IEEE 754 leaves it), comparisons for equality and the logical ops too. Not
/// max/min (which of +0.0 and -0.0, or of two NaNs, comes out depends on the order).
let private commutative (prim: Prim) =
    match prim with
    | Add | AddAny | Mul | Eq | Ne | And | Or -> true
    | Neg | Sign | Floor | Ceil | Round _ | IsFinite | Exp | Log | Log1p | Expm1 | Sin | Cos | Tan | Tanh
    | Logistic | Sqrt | Rsqrt | Abs | IntegerPow _ | Not | Pow | Sub | Div | Rem | Max | Min | Atan2
    | Lt | Le | Gt | Ge | SelectN | ConvertElementType _ | BroadcastInDim _ | Reshape _ | Squeeze _
    | ExpandDims _ | Transpose _ | ReduceSum _ | ReduceMax _ | ReduceMin _ | ReduceProd _ | Argmax _
    | Argmin _ | Cumsum _ | DotGeneral _ | Slice _ | DynamicSlice _ | DynamicUpdateSlice | Concatenate _
    | Pad _ | Rev _ | Iota _ | StopGradient | Pjit _ | Scan _ -> false

/// The inputs as the key compares them: a commutative op's two operands in one order (vars by id,
/// literals after vars), so `mul a b` and `mul b a` are one value. The equation keeps its own order.
let private keyInputs (prim: Prim) (inputs: Atom list) =
    match inputs with
    | [ Var x; Var y ] when y.Id < x.Id && commutative prim -> [ Var y; Var x ]
    | [ Lit _ as l; Var _ as v ] when commutative prim -> [ v; l ]
    | _ -> inputs

/// A hash-consing table of keys (op, atoms) compared by `keys`, split into 32 by the first var
/// operand's id (equal keys have equal operands): a program's worth of entries in one
/// Dictionary puts its arrays on the large-object heap, whose budget sets off collections, while
/// each shard stays below it up to ~40k entries in all.
type internal ConsTable<'op, 'v when 'op: equality>(capacity: int) =
    let shards = Array.init 32 (fun _ -> Dictionary<struct ('op * Atom list), 'v>(capacity / 32, keys<'op>))
    // Fibonacci hashing: ids of one program step recur with a fixed stride, so low bits cluster
    let rec firstVar (atoms: Atom list) = match atoms with Var v :: _ -> int (uint64 (v.Id * -7046029254386353131L) >>> 59) | Lit _ :: rest -> firstVar rest | [] -> 0
    let shardOf (struct (_, atoms: Atom list)) = firstVar atoms
    /// The value of `key` when it has one; else `value` becomes it. Most keys are new: adding
    /// first hashes them once (a lookup then an add hashed every key twice).
    member _.GetOrAdd(key, value: 'v) : 'v voption =
        let shard = shards[shardOf key]
        if shard.TryAdd(key, value) then ValueNone else ValueSome shard[key]

/// The `cse` pass: each equation equal to an earlier one (after substituting the earlier
/// removals) is removed and its outputs read from the earlier one's.
let cse (closed: ClosedJaxpr<Prim>) : ClosedJaxpr<Prim> * Stats =
    let env = VarTable<Atom>()
    let seen = ConsTable<OpKey, Var list>(closed.Jaxpr.Eqns.Length)
    let mutable kept = ListCollector<Eqn<Prim>>()
    let mutable removed = 0
    for e in closed.Jaxpr.Eqns do
        let inputs = substAll env e.Inputs
        let key = struct (opKey e.Op, keyInputs e.Op inputs)
        match seen.GetOrAdd(key, e.Outs) with
        | ValueSome outs when List.map (fun (v: Var) -> v.Aval) outs = List.map (fun (v: Var) -> v.Aval) e.Outs ->
            List.iter2 (fun (o: Var) v -> env[o] <- Var v) e.Outs outs
            removed <- removed + 1
        | ValueSome _ | ValueNone -> kept.Add(withInputs e inputs)
    { closed with Jaxpr = { closed.Jaxpr with Eqns = kept.Close(); OutVars = closed.Jaxpr.OutVars |> List.map (subst env) } },
    [ stat "num-cse'd" "Number of equations CSE'd" removed ]
