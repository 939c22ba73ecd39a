/// The lax dialect's verifier: SSA well-formedness (every var bound once, before any use; regions
/// closed over their own inputs) and types (each equation's outputs are what its type rule gives
/// for its inputs). Returns every problem found, each naming the equation; [] means valid.
module Cotangent.Core.Dialects.LaxVerify

open System.Collections.Generic
open Cotangent.Core
open Cotangent.Core.Dialects.Lax

let rec private verifyInto (problems: ResizeArray<string>) (where: string) (jaxpr: Jaxpr<Prim>) =
    let bound = HashSet<Var>()
    let bind (what: string) (v: Var) =
        if not (bound.Add v) then problems.Add $"{where}{what} rebinds var %d{v.Id} ({Aval.str v.Aval})"
    let useAtom (what: string) (atom: Atom) =
        match atom with
        | Var v when not (bound.Contains v) -> problems.Add $"{where}{what} uses var %d{v.Id} ({Aval.str v.Aval}) before it is bound"
        | Var _ -> ()
        | Lit a when a.Aval.Shape.Length <> 0 -> problems.Add $"{where}{what} has a non-scalar literal {Aval.str a.Aval}"
        | Lit _ -> ()
    jaxpr.ConstVars |> List.iter (bind "constvar")
    jaxpr.InVars |> List.iter (bind "invar")
    jaxpr.Eqns |> List.iteri (fun i eqn ->
        let what = $"equation {i} ({Lax.name eqn.Op})"
        eqn.Inputs |> List.iter (useAtom what)
        for closed in Lax.regions eqn.Op do
            verifyInto problems $"{where}{what}: " closed.Jaxpr
            if closed.Consts.Length <> closed.Jaxpr.ConstVars.Length then
                problems.Add $"{where}{what}: region has {closed.Jaxpr.ConstVars.Length} constvars but {closed.Consts.Length} consts"
        try
            let expected = LaxTypes.abstractEval eqn.Op (eqn.Inputs |> List.map Atom.aval)
            let actual = eqn.Outs |> List.map (fun v -> v.Aval)
            if expected <> actual then
                let show avals = System.String.Join(", ", avals |> List.map (fun (a: Aval) -> Aval.str a + (if a.Weak then "(weak)" else "")))
                problems.Add $"{where}{what} binds {show actual} but its type rule gives {show expected}"
        with :? CotangentException as e ->
            problems.Add $"{where}{what} is ill-typed: {e.Message}"
        eqn.Outs |> List.iter (bind what))
    jaxpr.OutVars |> List.iter (useAtom "outvars")

/// Every problem in `jaxpr`; empty when it is well formed and well typed.
let verify (jaxpr: Jaxpr<Prim>) : string list =
    let problems = ResizeArray()
    verifyInto problems "" jaxpr
    List.ofSeq problems
