/// The kernel dialect's generic form: print a ClosedJaxpr<Kernel.Op> as GenericForm's MLIR-like
/// text (kernel.func; lax ops as LaxGeneric spells them; each fused kernel one kernel.fusion op
/// whose region is its scalar body) and parse it back. Guarantees: print (parse (print c)) = print c
/// with the same values; parse never throws and reports errors at a 1-based line and column; a
/// parsed program passes Kernel.verify.
module Cotangent.Core.Dialects.KernelGeneric

open System
open Cotangent.Core
open Cotangent.Core.Dialects.Kernel
open Cotangent.Core.Dialects.LaxTokens
open Cotangent.Core.Dialects.GenericForm
open Cotangent.Core.Dialects.GenericRead

// A fusion (Kernel.Fusion) spelled out:
//   %2 = kernel.fusion %0, %1 {name = "fusion.0", kind = "loop", space = [3], views = [[0, [1]], [0, [1]]]} ({
//     ^region(%3: f32[], %4: f32[]):
//       %5 = lax.div %3, %4 : f32[]
//       lax.return %5
//   }) : f32[3]
// kind is "loop", or "reduce_sum", "reduce_prod", "reduce_max" or "reduce_min" with `axes = [..]`
// (an input fusion: the body's result reduced over those axes of the space); each view is
// `[offset, [stride, ...]]`, one per operand, in operand order; the region takes one rank-0 value
// per operand and returns one per result. A result may have any shape of Kernel.resultShape's
// size and its body result's dtype, as Kernel.verify accepts.

let private list (items: string list) = "[" + String.Join(", ", items) + "]"
let private ints (xs: int list) = list (List.map string xs)

let private combiners = [ Sum; Prod; Max; Min ]

let private kindName (kind: FusionKind) =
    match kind with
    | Loop -> "loop"
    | Input(c, _) -> "reduce_" + Combiner.name c

let private printFusion (f: Fusion) : string * (string * string) list * ClosedJaxpr<Lax.Prim> list =
    let axes =
        match f.Kind with
        | Loop -> []
        | Input(_, axes) -> [ "axes", ints axes ]
    let views = f.Views |> List.map (fun v -> list [ string v.Offset; ints v.Strides ])
    "kernel.fusion",
    [ "name", "\"" + f.Name + "\""; "kind", "\"" + kindName f.Kind + "\"" ] @ axes @ [ "space", ints f.Space; "views", list views ],
    [ { Jaxpr = f.Body; Consts = [] } ]

/// A kind without its axes: None for a loop fusion, the combiner for an input fusion.
let private aKind : Conv<Combiner option> =
    let names = "\"loop\"" :: (combiners |> List.map (fun c -> $"\"reduce_{Combiner.name c}\""))
    $"""a fusion kind ({String.Join(", ", names)})""",
    function
    | PyName "loop" -> Some None
    | PyName s -> combiners |> List.tryFind (fun c -> s = "reduce_" + Combiner.name c) |> Option.map Some
    | _ -> None

let private someViews : Conv<View list> =
    "a list of views [offset, [stride, ...]]",
    function
    | PySeq views ->
        views
        |> List.map (function
            | PySeq [ PyInt offset; strides ] -> snd intTuple strides |> Option.map (fun s -> { Offset = offset; Strides = s })
            | _ -> None)
        |> allSome
    | _ -> None

/// A fusion from its parts; its result types are the declared ones where Kernel.verify accepts
/// them, else those of the canonical shape (so that the reader names the result that is wrong).
let private readFusion (parts: OpParts) : Op * (Aval list -> Aval list -> Aval list) =
    let opTok = parts.Name
    let args = Args(opTok, [ "axes"; "kind"; "name"; "space"; "views" ], parts.Attrs)
    let valueOf (key: string) = parts.Attrs |> List.tryFind (fun (k, _, _) -> k.Text = key) |> Option.map (fun (_, v, _) -> v)
    let name = args.Get "name" aName
    let kind =
        match args.Get "kind" aKind, args.Opt "axes" intTuple with
        | None, None -> Loop
        | None, Some _ -> failAt (Option.defaultValue opTok (valueOf "axes")) "a loop fusion takes no axes"
        | Some c, Some axes -> Input(c, axes)
        | Some c, None -> failAt opTok $"a reduce_{Combiner.name c} fusion needs attribute 'axes' (a list of integers)"
    let space = args.Get "space" intTuple
    let views = args.Get "views" someViews
    let body =
        match parts.Regions with
        | [ _, region ] when region.Consts.IsEmpty -> region.Jaxpr
        | (paren, _) :: _ -> failAt paren "expected a fusion body without lax.constant (a kernel reads every array as an operand)"
        | [] -> failAt opTok "kernel.fusion needs a region, its scalar body: ({ ^region(%N: f32[], ...): ... })"
    let f = { Name = name; Kind = kind; Space = space; Views = views; Body = body }
    let at (part: FusionPart) =
        match part with
        | InSpace -> valueOf "space"
        | InViews -> valueOf "views"
        | InBody -> parts.Regions |> List.tryHead |> Option.map fst
        | InOutput _ -> None
        |> Option.defaultValue opTok
    let canonical (weak: bool) (bodyOut: Aval) = { Shape = Array.ofList (resultShape f); DType = bodyOut.DType; Weak = weak }
    Fusion f,
    fun inputs declared ->
        let bodyOuts = f.Body.OutVars |> List.map Atom.aval
        if declared.Length <> bodyOuts.Length then bodyOuts |> List.map (fun b -> canonical b.Weak b)
        else
            let problems = fusionProblems f inputs declared
            for part, message in problems do
                match part with
                | InOutput _ -> ()
                | InSpace | InViews | InBody -> failAt (at part) message
            let wrong i = problems |> List.exists (fun (p, _) -> p = InOutput i)
            List.mapi2 (fun i (d: Aval) b -> if wrong i then canonical d.Weak b else d) declared bodyOuts

/// The kernel dialect: kernel.fusion, and every lax op as LaxGeneric reads and prints it.
let private kernelSyntax: GenericSyntax<Op> =
    let lax = LaxGeneric.laxSyntax
    { Func = "kernel.func"
      Print =
        fun op ->
            match op with
            | Lax prim -> lax.Print prim
            | Fusion f -> printFusion f
      Knows = fun s -> s = "kernel.fusion" || lax.Knows s
      Supported = "kernel.fusion, " + lax.Supported
      Read =
        fun parts ->
            if parts.Name.Text = "kernel.fusion" then readFusion parts
            else
                let prim, resultTypes = lax.Read parts
                Lax prim, resultTypes }

/// The kernel program in generic form, its consts' values included.
let print (closed: ClosedJaxpr<Op>) : string = printWith LaxGeneric.laxSyntax kernelSyntax closed

/// The kernel program the generic text spells (consts with their values); never throws.
let parse (text: string) : Result<ClosedJaxpr<Op>, LaxParse.ParseError> = parseWith LaxGeneric.laxSyntax kernelSyntax text
