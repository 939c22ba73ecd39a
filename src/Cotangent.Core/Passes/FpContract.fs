/// fp-contract: in the vec dialect, a float vector multiply whose only reader is an add in the
/// same loop body becomes one fused multiply-add (vec.fma: a * b + c, rounded once), as XLA:CPU
/// lets LLVM contract (FPOpFusion::Fast). Takes and returns a vec program; only where the CPU has
/// FMA3. Guarantees: nothing else changes; results differ from the unfused ones only by the
/// product's rounding, which fma skips (`--disable-pass=fp-contract` keeps every rounding).
module Cotangent.Core.Passes.FpContract

open System.Collections.Generic
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Dialects.Loop
open Cotangent.Core.Dialects.Vec

/// How many times each vector var is read anywhere in the program (loop yields and inits
/// included); scalars are not counted, as only vector products contract.
let private readCounts (body: VecStmt list) : Dictionary<Var, int> =
    let counts = Dictionary<Var, int>()
    let read (a: Atom) =
        match a with
        | Var v when isVector v -> counts[v] <- (match counts.TryGetValue v with | true, n -> n + 1 | _ -> 1)
        | Var _ | Lit _ -> ()
    visitAll ignore read body
    counts

/// One loop body, contracted: each add reading a single-use vector product defined earlier in
/// this body takes the product's operands, and the product goes.
let private contractBody (counts: Dictionary<Var, int>) (count: int ref) (body: VecStmt list) : VecStmt list =
    let readOnce (v: Var) = match counts.TryGetValue v with | true, n -> n = 1 | _ -> false
    let products = Dictionary<Var, Atom * Atom>()
    for s in body do
        match s with
        | Compute(m, Mul, [ a; b ]) when isVector m && DType.isFloat m.Aval.DType && readOnce m
                                         && fmaOperand m.Aval a && fmaOperand m.Aval b ->
            products[m] <- (a, b)
        | _ -> ()
    let fused = HashSet<Var>()
    let product (x: Atom) = match x with Var m when products.ContainsKey m && not (fused.Contains m) -> Some m | _ -> None
    let contracted =
        body |> List.map (fun s ->
            match s with
            | Compute(dst, (Add | AddAny), [ x; y ]) when isVector dst && fmaOperand dst.Aval x && fmaOperand dst.Aval y ->
                match product x, product y with
                | Some m, _ -> fused.Add m |> ignore; (let a, b = products[m] in Ext(VFma(dst, a, b, y)))
                | None, Some m -> fused.Add m |> ignore; (let a, b = products[m] in Ext(VFma(dst, a, b, x)))
                | None, None -> s
            | _ -> s)
    count.Value <- count.Value + fused.Count
    contracted |> List.filter (fun s -> match s with Compute(m, Mul, _) -> not (fused.Contains m) | _ -> true)

/// Runs the pass; statistic: multiply-adds fused.
let run (p: VecProgram) : VecProgram * (string * int * string) list =
    let count = ref 0
    let body =
        if not Backend.EmitVector.fmaSupported then p.Body
        else
            let counts = readCounts p.Body
            let rec walk (stmts: VecStmt list) =
                stmts |> List.map (fun s ->
                    match s with
                    | For l -> For { l with Body = contractBody counts count (walk l.Body) }
                    | _ -> s)
            walk p.Body
    { p with Body = body }, [ "num-fused", count.Value, "Number of multiply-adds fused into vec.fma" ]
