/// The types every lax-level pass shares: a pass is a pure `ClosedJaxpr<Prim> -> ClosedJaxpr<Prim>
/// * Stats`, and its statistics are named counters, printed as MLIR prints pass statistics
/// (`--pass-statistics`). Takes and returns nothing else; passes never mutate their input.
module Cotangent.Core.Passes.PassTypes

open System.Collections.Generic
open Cotangent.Core

/// A pass counter: name as MLIR prints it (e.g. "num-cse'd"), value, one-line description.
type Stat = { Name: string; Value: int; Description: string }

type Stats = Stat list

/// A counter of `value` named `name`.
let stat (name: string) (description: string) (value: int) : Stat =
    { Name = name; Value = value; Description = description }

/// `atom` with a pass's substitution applied (a var replaced by what an earlier rewrite left).
let subst (env: VarTable<Atom>) (atom: Atom) =
    match atom with
    | Var v ->
        match env.TryGetValue v with
        | true, a -> a
        | _ -> atom
    | Lit _ -> atom

/// `inputs` with the substitution applied: the same list, not a copy, when it changes nothing
/// (so most equations are kept as they are: `withInputs`).
let substAll (env: VarTable<Atom>) (inputs: Atom list) =
    let rec changes (atoms: Atom list) =
        match atoms with
        | Var v :: rest -> env.ContainsKey v || changes rest
        | Lit _ :: rest -> changes rest
        | [] -> false
    if changes inputs then List.map (subst env) inputs else inputs

/// `e` reading `inputs`: `e` itself when they are its own list.
let withInputs (e: Eqn<'op>) (inputs: Atom list) = if obj.ReferenceEquals(inputs, e.Inputs) then e else { e with Inputs = inputs }
