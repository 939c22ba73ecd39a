/// What simplify's rules see and say: the facts known about the vars of the program being built
/// (known values, each var's producing equation) and the rewrites a rule may propose. Shared by
/// Simplify.fs (identities, the walk) and SimplifyGenerators.fs (index generators, selects).
module Cotangent.Core.Passes.SimplifyFacts

open System
open Cotangent.Core
open Cotangent.Core.Dialects.Lax

/// An operand of a rewrite's op: an atom of the program, or the result of an earlier op of the
/// same rewrite.
type Operand =
    | In of Atom
    | Prev of index: int

/// What a rule proposes for a one-output equation: read its output from an atom, or compute it
/// by new ops (single-output each, in order; the last one's result is the equation's output).
type Rewrite =
    | Forward of Atom
    | Ops of (Prim * Operand list) list

/// Rebinds the equation by one op on atoms.
let replace (prim: Prim) (inputs: Atom list) = Ops [ prim, List.map In inputs ]

/// Every element of `a` is `target`; floats compare bit for bit (-0.0 is not 0.0, NaN is nothing).
let allEqual (target: float) (a: NdArray) =
    match a.Data with
    | BoolData d -> d |> Array.forall (fun b -> b = (target <> 0.0))
    | I32Data d -> d |> Array.forall (fun x -> float x = target)
    | U32Data d -> d |> Array.forall (fun x -> float x = target)
    | F32Data d ->
        let t = BitConverter.SingleToInt32Bits(float32 target)
        d |> Array.forall (fun x -> BitConverter.SingleToInt32Bits x = t)
    | F64Data d ->
        let t = BitConverter.DoubleToInt64Bits target
        d |> Array.forall (fun x -> BitConverter.DoubleToInt64Bits x = t)

/// What the walk knows about the vars of the program being built: known values (consts and
/// folded results), the equation binding each var, and which vars are index generators.
type Facts() =
    // each producer stored as the option the rules match on: a lookup allocates nothing
    let producers = VarTable<Eqn<Prim> option>()
    // VarTables, not Dictionaries: asked of nearly every operand, where a Dictionary's
    // interface-dispatched hashing was a tenth of the pass
    member val Values = VarTable<NdArray>()
    member val Generators = VarTable<bool>()
    /// Of each var of the input program: the one equation reading it (None: read more than once,
    /// or returned).
    member val Users = VarTable<Eqn<Prim> option>()

    /// Counts the reads of the input program's vars.
    member this.CountUses(jaxpr: Jaxpr<Prim>) =
        let read (user: Eqn<Prim> option) (a: Atom) =
            match a with
            | Var v -> this.Users[v] <- (if this.Users.ContainsKey v then None else user)
            | Lit _ -> ()
        for e in jaxpr.Eqns do
            let user = Some e
            for a in e.Inputs do read user a
        for a in jaxpr.OutVars do read None a

    /// Records `e` as the producer of its outputs.
    member _.Produced(e: Eqn<Prim>) =
        let producer = Some e
        for o in e.Outs do producers[o] <- producer

    /// The one equation of the input program that reads `v`, if exactly one does.
    member this.SoleUser(v: Var) =
        match this.Users.TryGetValue v with
        | true, user -> user
        | _ -> None

    member this.Value(atom: Atom) =
        match atom with
        | Lit a -> Some a
        | Var v ->
            match this.Values.TryGetValue v with
            | true, a -> Some a
            | _ -> None

    member _.Producer(atom: Atom) =
        match atom with
        | Var v ->
            match producers.TryGetValue v with
            | true, e -> e
            | _ -> None
        | Lit _ -> None

    /// The scalar literal every element of `atom` is: a literal, or broadcast_in_dim of one.
    member this.Splat(atom: Atom) =
        match atom, this.Producer atom with
        | Lit a, _ -> Some a
        | Var _, Some { Op = BroadcastInDim _; Inputs = [ Lit a ] } -> Some a
        | Var _, _ -> None

    member this.IsAll (target: float) (atom: Atom) =
        // the splat is looked for only when no value is known
        match (match this.Value atom with Some _ as known -> known | None -> this.Splat atom) with
        | Some a -> allEqual target a
        | None -> false
