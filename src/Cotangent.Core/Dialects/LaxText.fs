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

/// Names given in printing order; one instance spans a jaxpr and its regions.
type Names() =
    let names = Dictionary<Var, string>()
    member _.Name(v: Var) =
        match names.TryGetValue v with
        | true, n -> n
        | _ ->
            let n = varName names.Count
            names[v] <- n
            n

/// A param's printed value: text, or a nested block (a region) printed with the shared names.
type Param =
    | Plain of string
    | Nested of (Names -> Doc)

/// How a dialect's ops print in jaxpr form: the op's name and its params in print order.
type Syntax<'Op> =
    { OpName: 'Op -> string
      Params: 'Op -> (string * Param) list }

let private usedVars (jaxpr: Jaxpr<'Op>) =
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

let private ppParams (names: Names) (ps: (string * Param) list) : Doc =
    let value v =
        match v with
        | Plain s -> text s
        | Nested pp -> pp names
    match ps with
    | [] -> Nil
    | ps ->
        group (nest 2 (concat [ text "["; brkWith ""; join brk (ps |> List.map (fun (k, v) -> text (k + "=") ++ value v)) ])
               ++ brkWith "" ++ text "]")

/// A jaxpr of any dialect in JAX's layout, its ops printed by `syntax`.
let rec ppJaxprWith (syntax: Syntax<'Op>) (names: Names) (jaxpr: Jaxpr<'Op>) : Doc =
    let used = usedVars jaxpr
    let constvars = ppList "" (jaxpr.ConstVars |> List.map (binder names None))
    let invars = ppList "" (jaxpr.InVars |> List.map (binder names None))
    let eqns = join (brkWith "; ") (jaxpr.Eqns |> List.map (ppEqn syntax names used))
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

and private ppEqn (syntax: Syntax<'Op>) (names: Names) (used: HashSet<Var>) (eqn: Eqn<'Op>) : Doc =
    let lhs = ppList "" (eqn.Outs |> List.map (binder names (Some used)))
    let ps = ppParams names (syntax.Params eqn.Op)
    let rhs = [ text (syntax.OpName eqn.Op); ps; text " " ++ ppList "" (eqn.Inputs |> List.map (atomText names)) ]
    if eqn.Outs.IsEmpty then concat rhs else concat (lhs :: text " = " :: rhs)

/// The lax dialect's syntax: JAX's names and params; a pjit's region prints nested.
let rec laxSyntax : Syntax<Prim> =
    { OpName = Lax.name
      Params =
        fun prim ->
            Lax.paramsOf prim
            |> List.map (fun (k, v) ->
                match v with
                | ParamValue.Text s -> k, Plain s
                | SubJaxpr closed -> k, Nested(fun names -> ppJaxprWith laxSyntax names closed.Jaxpr)) }

/// A jaxpr of any dialect as text, 80 columns wide.
let printWith (syntax: Syntax<'Op>) (jaxpr: Jaxpr<'Op>) : string = format 80 (ppJaxprWith syntax (Names()) jaxpr)

/// The jaxpr as JAX prints it (consts are not printed, as in JAX).
let print (jaxpr: Jaxpr<Prim>) : string = printWith laxSyntax jaxpr
