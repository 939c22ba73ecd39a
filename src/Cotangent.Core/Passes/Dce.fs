/// dce: dead-code elimination on lax jaxprs (JAX's pe.dce_jaxpr without effects). Takes a closed
/// jaxpr; returns one whose equations all feed an output and whose constvars (and consts) are all
/// used. Guarantees: invars and outvars are unchanged; kept equations keep their order and vars;
/// regions are left as they are (run `inline` first to clean inside them).
module Cotangent.Core.Passes.Dce

open System.Collections.Generic
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Passes.PassTypes

/// `jaxpr` with only the equations its outputs depend on, and only the constvars they read,
/// and the number of equations erased. No primitive has effects yet, so liveness is data flow.
let dceJaxpr (jaxpr: Jaxpr<Prim>) : Jaxpr<Prim> * int =
    use eqns = Scratch.ofList jaxpr.Eqns
    // indexed by var id (a program's ids are dense): no hash set of every var on the large-object heap
    let live = VarTable<bool>()
    let isMarked (v: Var) = live.ContainsKey v
    let mark atom =
        match atom with
        | Var v -> live[v] <- true
        | Lit _ -> ()
    List.iter mark jaxpr.OutVars
    let rec isLive (outs: Var list) = match outs with v :: rest -> isMarked v || isLive rest | [] -> false
    let kept = Array.zeroCreate<bool> eqns.Length
    let mutable erased = 0
    for i in eqns.Length - 1 .. -1 .. 0 do
        if isLive eqns[i].Outs then
            kept[i] <- true
            List.iter mark eqns[i].Inputs
        else erased <- erased + 1
    let constVars = jaxpr.ConstVars |> List.filter isMarked
    // nothing erased: the same program (most runs; no copy of its equation list)
    if erased = 0 && constVars.Length = jaxpr.ConstVars.Length then jaxpr, 0
    else { jaxpr with Eqns = [ for i in 0 .. eqns.Length - 1 do if kept[i] then eqns[i] ]; ConstVars = constVars }, erased

/// The `dce` pass: unused equations and unused constvars (with their consts) removed.
let dce (closed: ClosedJaxpr<Prim>) : ClosedJaxpr<Prim> * Stats =
    let jaxpr, erased = dceJaxpr closed.Jaxpr
    let consts =
        if obj.ReferenceEquals(jaxpr, closed.Jaxpr) then closed.Consts
        else
            let used = HashSet<Var>(jaxpr.ConstVars)
            List.zip closed.Jaxpr.ConstVars closed.Consts |> List.filter (fst >> used.Contains) |> List.map snd
    { Jaxpr = jaxpr; Consts = consts },
    [ stat "num-erased" "Number of equations erased because no output depends on them" erased ]
