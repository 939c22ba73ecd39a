/// The generic form of a closed program in any dialect whose regions are lax jaxprs: an MLIR-like
/// text that carries everything a closed jaxpr holds (consts with their values, weak types, typed
/// attributes, regions), printed and parsed back. A dialect says how its ops spell (GenericSyntax:
/// LaxGeneric's lax.NAME, KernelGeneric's kernel.fusion); the rest reads the same in each. This
/// file has the grammar, the syntax types and the printer; GenericRead.fs has the reader.
/// Grammar (one op per line; layout is free for the parser; D is the dialect, `lax` or `kernel`):
///   func    ::= D.func @main ( arg , ... ) -> ( type , ... ) { body }
///   region  ::= { ^region ( arg , ... ) : body }                           (its ops are lax ops)
///   body    ::= const* op* lax.return atom , ...
///   const   ::= %N = lax.constant dense< [ elem , ... ] > : type        (elements row-major)
///   op      ::= [ %N , ... = ] D.NAME atom , ... [ { key = attr , ... } ] [ ( region ) ] [ : type , ... ]
///   arg     ::= %N : type
///   atom    ::= %N | elem : type                                       (a scalar literal)
///   type    ::= dtype [ d , ... ] [ {weak} ]                            (`f32[3]`, `f32[]{weak}`)
///   attr    ::= int | [ attr , ... ] | true | false | none | dtype | "string"
///   elem    ::= true | false | int | float | nan | inf | -inf
/// Floats print in their shortest round-trip digits (as JAX prints them: `1.0`, `1e-05`) and read
/// back at the dtype of their type, so f32, f64, i32, u32 and bool values are exact (NaN payloads
/// aside). Values are numbered %0, %1, ... in binding order (args, consts, then each op's results
/// before its regions); a region sees only its own values.
/// Guarantees: print (parse (print c)) = print c with the same values; `parse` never throws,
/// always ends (nesting is capped at 64), and reports errors at a 1-based line and column.
/// An op's results must have exactly the types its dialect's rule gives (GenericSyntax.Read),
/// weak flags included.
module Cotangent.Core.Dialects.GenericForm

open System
open System.Collections.Generic
open System.Text
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Dialects.LaxTokens

// ---------------------------------------------------------------------------------------------
// A dialect's ops. The func, consts, returns and regions (lax jaxprs) read and print the same in
// every dialect; only its ops and its func keyword differ.

/// `f32[3]`, or `f32[]{weak}` for a weak aval.
let typeText (aval: Aval) = Aval.str aval + (if aval.Weak then "{weak}" else "")

/// `f32[3], i32[]`, for messages
let internal show (avals: Aval list) = String.Join(", ", avals |> List.map typeText)

/// An op as the reader found it: its name, its attributes (key, the value's first token, value)
/// and its regions (each with the `(` before it).
type internal OpParts = { Name: Token; Attrs: (Token * Token * Py) list; Regions: (Token * ClosedJaxpr<Prim>) list }

/// How one dialect's ops print and read.
type internal GenericSyntax<'op> =
    { /// `lax.func`, `kernel.func`
      Func: string
      /// The op's dialect-qualified name, its typed attributes (key, text) and its regions.
      Print: 'op -> string * (string * string) list * ClosedJaxpr<Prim> list
      /// Whether an identifier names an op of the dialect.
      Knows: string -> bool
      /// The ops there are, for the unknown-op message.
      Supported: string
      /// The op its parts spell, and the result types it gives for its operands' and the declared
      /// ones (it fails at a token of the parts when it gives none).
      Read: OpParts -> 'op * (Aval list -> Aval list -> Aval list) }

// ---------------------------------------------------------------------------------------------
// Printing.

/// Every element of an array, row-major, in the element spelling.
let internal elems (a: NdArray) : string list =
    let floatText dtype (x: float) = NdArray.scalarText dtype x
    match a.Data with
    | BoolData xs -> xs |> Seq.map (fun b -> if b then "true" else "false") |> List.ofSeq
    | I32Data xs -> xs |> Seq.map string |> List.ofSeq
    | U32Data xs -> xs |> Seq.map string |> List.ofSeq
    | F32Data xs -> xs |> Seq.map (fun x -> floatText F32 (double x)) |> List.ofSeq
    | F64Data xs -> xs |> Seq.map (floatText F64) |> List.ofSeq

/// A scalar literal atom: `1.0:f32[]{weak}`.
let internal literalText (x: NdArray) = (elems x).Head + ":" + typeText x.Aval

/// Attributes as ` {key = attr, ...}` (empty when there are none).
let internal attrsText (attrs: (string * string) list) =
    if attrs.IsEmpty then "" else " {" + String.Join(", ", attrs |> List.map (fun (k, v) -> k + " = " + v)) + "}"

type private Printer(lax: GenericSyntax<Prim>) =
    let numbers = Dictionary<Var, int>()
    let sb = StringBuilder()
    member _.Bind(v: Var) =
        numbers[v] <- numbers.Count
        $"%%{numbers.Count - 1}"
    member _.Atom(a: Atom) =
        match a with
        | Var v -> (match numbers.TryGetValue v with | true, n -> $"%%{n}" | _ -> $"%%<unbound {v.Id}>")
        | Lit x -> literalText x
    member p.Args(vars: Var list) = String.Join(", ", vars |> List.map (fun v -> p.Bind v + ": " + typeText v.Aval))
    member _.Line (indent: int) (s: string) = sb.Append(String(' ', indent)).Append(s).Append('\n') |> ignore

    /// Consts, ops and the return of a block whose args are already bound.
    member p.Body<'op> (syntax: GenericSyntax<'op>) (indent: int) (closed: ClosedJaxpr<'op>) : unit =
        for v, c in List.zip closed.Jaxpr.ConstVars closed.Consts do
            p.Line indent $"""{p.Bind v} = lax.constant dense<[{String.Join(", ", elems c)}]> : {typeText v.Aval}"""
        for e in closed.Jaxpr.Eqns do
            let opName, attrs, regions = syntax.Print e.Op
            let outs = if e.Outs.IsEmpty then "" else String.Join(", ", e.Outs |> List.map p.Bind) + " = "
            let inputs = if e.Inputs.IsEmpty then "" else " " + String.Join(", ", e.Inputs |> List.map p.Atom)
            let attrs = attrsText attrs
            let types = if e.Outs.IsEmpty then "" else " : " + String.Join(", ", e.Outs |> List.map (fun v -> typeText v.Aval))
            let head = outs + opName + inputs + attrs
            if regions.IsEmpty then p.Line indent (head + types)
            else
                p.Line indent (head + " ({")
                regions |> List.iteri (fun i r ->
                    if i > 0 then p.Line indent "}, {"
                    p.Line (indent + 2) $"^region({p.Args r.Jaxpr.InVars}):"
                    p.Body lax (indent + 4) r)
                p.Line indent ("})" + types)
        p.Line indent ("lax.return " + String.Join(", ", closed.Jaxpr.OutVars |> List.map p.Atom))

    member p.Func<'op> (syntax: GenericSyntax<'op>) (closed: ClosedJaxpr<'op>) : string =
        let results = String.Join(", ", closed.Jaxpr.OutVars |> List.map (Atom.aval >> typeText))
        p.Line 0 $"{syntax.Func} @main({p.Args closed.Jaxpr.InVars}) -> ({results}) {{"
        p.Body syntax 2 closed
        sb.Append("}").ToString()

/// A closed program of the dialect `syntax` spells, in generic form.
let internal printWith (lax: GenericSyntax<Prim>) (syntax: GenericSyntax<'op>) (closed: ClosedJaxpr<'op>) : string =
    Printer(lax).Func syntax closed
