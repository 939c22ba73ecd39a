/// A Wadler–Lindig pretty printer with JAX's layout decisions (jax/_src/pretty_printer.py), so
/// that jaxprs wrap at exactly the columns JAX's do: a group prints flat when its own content
/// fits in the rest of the line (what follows the group is not counted), and the document
/// starts in break mode, so a break outside every group always breaks.
module Cotangent.Core.Pretty

open System.Text

type Doc =
    | Nil
    | Text of string
    | Concat of Doc list
    /// A space (or the given text) when flat; a newline plus the current indent when broken.
    | Break of string
    | Group of Doc
    | Nest of indent: int * Doc

let text s = Text s
let brk = Break " "
let brkWith s = Break s
let group d = Group d
let nest n d = Nest(n, d)
let concat (docs: Doc list) =
    match docs with
    | [ d ] -> d
    | ds -> Concat ds

let (++) a b = Concat [ a; b ]

let join (sep: Doc) (docs: Doc list) =
    match docs with
    | [] -> Nil
    | first :: rest -> concat (first :: (rest |> List.collect (fun d -> [ sep; d ])))

type private Mode =
    | Flat
    | Broken

/// Does `doc`, laid out flat, fit in `width` columns?
let private fits (width: int) (doc: Doc) =
    let mutable width = width
    let agenda = System.Collections.Generic.Stack<Doc>()
    agenda.Push doc
    while width >= 0 && agenda.Count > 0 do
        match agenda.Pop() with
        | Nil -> ()
        | Text s -> width <- width - s.Length
        | Concat ds -> for d in List.rev ds do agenda.Push d
        | Break s -> width <- width - s.Length
        | Nest(_, d) | Group d -> agenda.Push d
    width >= 0

/// Lays `doc` out in `width` columns.
let format (width: int) (doc: Doc) : string =
    let out = StringBuilder()
    let mutable column = 0
    let agenda = System.Collections.Generic.Stack<int * Mode * Doc>()
    agenda.Push((0, Broken, doc))
    while agenda.Count > 0 do
        match agenda.Pop() with
        | _, _, Nil -> ()
        | _, _, Text s ->
            out.Append s |> ignore
            column <- column + s.Length
        | indent, mode, Concat ds -> for d in List.rev ds do agenda.Push((indent, mode, d))
        | indent, Broken, Break _ ->
            out.Append('\n').Append(' ', indent) |> ignore
            column <- indent
        | _, Flat, Break s ->
            out.Append s |> ignore
            column <- column + s.Length
        | indent, mode, Nest(n, d) -> agenda.Push((indent + n, mode, d))
        | indent, Flat, Group d -> agenda.Push((indent, Flat, d))
        | indent, Broken, Group d -> agenda.Push((indent, (if fits (width - column) d then Flat else Broken), d))
    out.ToString()
