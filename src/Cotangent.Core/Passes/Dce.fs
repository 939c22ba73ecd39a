/// dce: dead-code elimination on lax jaxprs (JAX's pe.dce_jaxpr without effects). Takes a closed
/// jaxpr; returns one whose equations all feed an output and whose constvars (and consts) are all
/// used. Guarantees: invars and outvars are unchanged; kept equations keep their order and vars;
/// regions are left as they are (run `inline` first to clean inside them).
module Cotangent.Core.Passes.Dce

open System.Collections.Generic
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Passes.PassTypes

/// The live vars of a program whose vars are bound with ids in [lo, lo + 64 × words): a bit per
/// id. A program's vars are made together, so their ids are dense: for the 26k-equation JacRev
/// program this is ~40 KB of bits where a hash set took ~0.5 MB on the large-object heap and a
/// cache miss per lookup. A var bound nowhere in the program is never asked about, so one outside
/// the range is dropped.
type private LiveBits(lo: int64, words: int) =
    let bits = Array.zeroCreate<uint64> words
    member _.Add(v: Var) =
        let i = v.Id - lo
        if i >= 0L && i < int64 words * 64L then bits[int (i >>> 6)] <- bits[int (i >>> 6)] ||| (1UL <<< int (i &&& 63L))
    member _.Contains(v: Var) =
        let i = v.Id - lo
        i >= 0L && i < int64 words * 64L && bits[int (i >>> 6)] &&& (1UL <<< int (i &&& 63L)) <> 0UL

/// A set for the vars of `jaxpr`: bits over their id range when it is at most 64 ids per bound var
/// (always, for traced programs), else a hash set.
let private liveSet (jaxpr: Jaxpr<Prim>) (eqns: Eqn<Prim>[]) : (Var -> unit) * (Var -> bool) =
    let mutable lo, hi, bound = System.Int64.MaxValue, System.Int64.MinValue, 0
    let see (v: Var) =
        lo <- min lo v.Id
        hi <- max hi v.Id
        bound <- bound + 1
    for e in eqns do List.iter see e.Outs
    List.iter see jaxpr.InVars
    List.iter see jaxpr.ConstVars
    if bound > 0 && hi - lo < 64L * int64 bound then
        let bits = LiveBits(lo, int ((hi - lo) / 64L) + 1)
        bits.Add, bits.Contains
    else
        let set = HashSet<Var>(eqns.Length)
        (fun v -> set.Add v |> ignore), set.Contains

/// `jaxpr` with only the equations its outputs depend on, and only the constvars they read,
/// and the number of equations erased. No primitive has effects yet, so liveness is data flow.
let dceJaxpr (jaxpr: Jaxpr<Prim>) : Jaxpr<Prim> * int =
    let eqns = Array.ofList jaxpr.Eqns
    let add, isMarked = liveSet jaxpr eqns
    let mark atom =
        match atom with
        | Var v -> add v
        | Lit _ -> ()
    List.iter mark jaxpr.OutVars
    let rec isLive (outs: Var list) = match outs with v :: rest -> isMarked v || isLive rest | [] -> false
    let kept = Array.zeroCreate eqns.Length
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
