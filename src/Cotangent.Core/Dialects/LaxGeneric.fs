/// The lax dialect's generic form (GenericForm's grammar, with lax.func and lax.NAME ops): print
/// and parse back a closed jaxpr, consts' values included. Attributes are Lax.paramsOf's params
/// with typed values (tuples become lists, numpy dtypes their short names, pjit's name a string,
/// which reads back if it holds no '"' or line break); a region is a param's sub-jaxpr (pjit's
/// `jaxpr`). Guarantees: print (parse (print c)) = print c with the same values; `parse` never
/// throws; an op's results must have exactly the types LaxTypes.abstractEval gives, weak flags
/// included, so a parsed program verifies (LaxVerify).
module Cotangent.Core.Dialects.LaxGeneric

open System.Text
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Dialects.LaxTokens
open Cotangent.Core.Dialects.GenericForm
open Cotangent.Core.Dialects.GenericRead

/// `f32[3]`, or `f32[]{weak}` for a weak aval.
let typeText (aval: Aval) = GenericForm.typeText aval

/// A param's Python text (Lax.paramsOf) as a typed attribute: tuples become lists, True/False/None
/// lower case, numpy dtypes their short names.
let private attrText (key: string) (python: string) =
    if key = "name" then "\"" + python + "\""
    else
        let word (t: Token) =
            match t.Text with
            | "True" -> "true"
            | "False" -> "false"
            | "None" -> "none"
            | "(" -> "["
            | ")" -> "]"
            | s -> DType.all |> List.tryFind (fun d -> DType.name d = s) |> Option.map DType.shortName |> Option.defaultValue s
        let tokens = lex python |> Array.filter (fun t -> t.Kind <> End)
        let sb = StringBuilder()
        tokens |> Array.iteri (fun i t ->
            let trailingComma = t.Text = "," && i + 1 < tokens.Length && tokens[i + 1].Text = ")"
            if not trailingComma then sb.Append(word t).Append(if t.Text = "," then " " else "") |> ignore)
        sb.ToString()

/// The op's result types by its rule (LaxTypes.abstractEval); a rejection is an error at the op.
let internal typeRule (opTok: Token) (prim: Prim) (avals: Aval list) : Aval list =
    try LaxTypes.abstractEval prim avals
    with e -> failAt opTok (if e :? CotangentException then e.Message else $"{opTok.Text} rejects {show avals}: {e.Message}")

/// A primitive's text params as typed attributes.
let private attrsOf (prim: Prim) =
    paramsOf prim |> List.choose (fun (k, v) -> match v with ParamValue.Text s -> Some(k, attrText k s) | SubJaxpr _ -> None)

/// A primitive's text params as ` {key = attr, ...}` (empty when it has none).
let internal attrsText (prim: Prim) = GenericForm.attrsText (attrsOf prim)

let private readLax (parts: OpParts) : Prim * (Aval list -> Aval list -> Aval list) =
    let opTok = parts.Name
    let takes, build = builderOf[opTok.Text.Substring 4]
    let regions = parts.Regions |> List.map (fun (paren, c) -> { paren with Kind = Ident; Text = "jaxpr" }, paren, PyRegion c)
    let prim = build (Args(opTok, takes, parts.Attrs @ regions))
    prim, fun inputs _ -> typeRule opTok prim inputs

/// The lax dialect: `lax.NAME`, Lax.paramsOf's params as attributes, typed by LaxTypes.abstractEval.
let internal laxSyntax: GenericSyntax<Prim> =
    { Func = "lax.func"
      Print =
        fun prim ->
            let ps = paramsOf prim
            "lax." + name prim,
            attrsOf prim,
            ps |> List.choose (fun (_, v) -> match v with SubJaxpr c -> Some c | ParamValue.Text _ -> None)
      Knows = fun s -> s.StartsWith "lax." && builderOf.ContainsKey(s.Substring 4)
      Supported = $"lax.constant, lax.return and lax. followed by one of {supported}"
      Read = readLax }

/// The closed jaxpr in generic form, its consts' values included.
let print (closed: ClosedJaxpr<Prim>) : string = printWith laxSyntax laxSyntax closed

/// The closed jaxpr the generic text spells (consts with their values); never throws.
let parse (text: string) : Result<ClosedJaxpr<Prim>, LaxParse.ParseError> = parseWith laxSyntax laxSyntax text
