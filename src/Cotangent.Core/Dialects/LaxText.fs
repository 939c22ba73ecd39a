/// The lax dialect's JAX text form: prints a jaxpr byte for byte as JAX's make_jaxpr does
/// (jax/_src/core.py pp_jaxpr over pretty_printer, width 80). Names are given in printing
/// order (constvars, invars, then each equation's outputs, regions, inputs) as a..z, ba, bb, ..;
/// an equation output that nothing uses prints as `_` and takes no name.
module Cotangent.Core.Dialects.LaxText

open System.Collections.Generic
open Cotangent.Core
open Cotangent.Core.Pretty
open Cotangent.Core.Dialects.Lax

/// JAX's `_encode_digits_alphabetic`: 0 → a, 25 → z, 26 → ba (a base-26 numeral, a = 0).
let varName (n: int) =
    let mutable n = n
    let mutable s = ""
    while s.Length = 0 || n > 0 do
        s <- string (char (97 + n % 26)) + s
        n <- n / 26
    s

/// A literal as JAX prints it: `str` of a numpy scalar for strong dtypes; a weak literal is a
/// Python scalar, so a weak float32 prints its float64 digits (0.1f → 0.10000000149011612).
let literalText (a: NdArray) =
    let value = NdArray.item 0 a
    match a.Aval.DType with
    | F32 when a.Aval.Weak -> NdArray.scalarText F64 value
    | dtype -> NdArray.scalarText dtype value

type private Names() =
    let names = Dictionary<Var, string>()
    member _.Name(v: Var) =
        match names.TryGetValue v with
        | true, n -> n
        | _ ->
            let n = varName names.Count
            names[v] <- n
            n

let private usedVars (jaxpr: Jaxpr<Prim>) =
    let used = HashSet<Var>()
    let note atom =
        match atom with
        | Var v -> used.Add v |> ignore
        | Lit _ -> ()
    for e in jaxpr.Eqns do
        List.iter note e.Inputs
    List.iter note jaxpr.OutVars
    used

/// pp_vars: names joined by `sep` and a break, each in its own group, nested by 2.
let private ppList (sep: string) (items: string list) =
    nest 2 (group (join (text sep ++ group brk) (List.map text items)))

let private binder (names: Names) (used: HashSet<Var> option) (v: Var) =
    let name =
        match used with
        | Some u when not (u.Contains v) -> "_"
        | _ -> names.Name v
    name + ":" + Aval.str v.Aval

let private atomText (names: Names) (atom: Atom) =
    match atom with
    | Var v -> names.Name v
    | Lit a -> literalText a

let rec private ppJaxpr (names: Names) (jaxpr: Jaxpr<Prim>) : Doc =
    let used = usedVars jaxpr
    let constvars = ppList "" (jaxpr.ConstVars |> List.map (binder names None))
    let invars = ppList "" (jaxpr.InVars |> List.map (binder names None))
    let eqns = join (brkWith "; ") (jaxpr.Eqns |> List.map (ppEqn names used))
    let outs = jaxpr.OutVars |> List.map (atomText names)
    let outvars = text "(" ++ ppList "," outs ++ text (if outs.Length = 1 then ",)" else ")")
    group (
        nest 2 (
            concat
                [ text "{ lambda "; constvars; text "; "; invars; text ". let"
                  nest 2 (brk ++ eqns); brk; text "in "; outvars ]
        )
        ++ text " }"
    )

and private ppEqn (names: Names) (used: HashSet<Var>) (eqn: Eqn<Prim>) : Doc =
    let lhs = ppList "" (eqn.Outs |> List.map (binder names (Some used)))
    let ps = ppParams names (Lax.paramsOf eqn.Op)
    let rhs = [ text (Lax.name eqn.Op); ps; text " " ++ ppList "" (eqn.Inputs |> List.map (atomText names)) ]
    if eqn.Outs.IsEmpty then concat rhs else concat (lhs :: text " = " :: rhs)

and private ppParams (names: Names) (ps: (string * ParamValue) list) : Doc =
    let value v =
        match v with
        | ParamValue.Text s -> text s
        | SubJaxpr closed -> ppJaxpr names closed.Jaxpr
    match ps with
    | [] -> Nil
    | ps ->
        group (nest 2 (concat [ text "["; brkWith ""; join brk (ps |> List.map (fun (k, v) -> text (k + "=") ++ value v)) ])
               ++ brkWith "" ++ text "]")

/// The jaxpr as JAX prints it (consts are not printed, as in JAX).
let print (jaxpr: Jaxpr<Prim>) : string = format 80 (ppJaxpr (Names()) jaxpr)
