/// cotangent-opt, as mlir-opt: reads a program at any stage (a jaxpr as JAX prints it, or the
/// generic form of the lax, kernel, loop or vec dialect), runs the passes the flags name (none by
/// default) with the pass manager's dump flags, prints the result in the chosen form, and
/// optionally runs it. Returns the exit code: 0 on success, 1 on a user error
/// (one line: file:line:column and what was expected), 2 on bad usage. Never prints a stack trace.
module Cotangent.Opt.Opt

open System
open System.IO
open System.Globalization
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.PassManager

let private usage =
    """USAGE: cotangent-opt INPUT|- [options] [pass-manager flags]

Reads a program at any stage of the pipeline: a jaxpr as jax.make_jaxpr prints it (starting with
`{ lambda`), or the generic form of the lax (`lax.func`), kernel (`kernel.func`) or loop and vec
(`loop.func`) dialect. Runs the passes --pipeline names (none by default) from that stage on,
prints the result.

Options:
  --emit=jaxpr|ir|dot     the printed form of the result: JAX's jaxpr (kernels jaxpr-like), the
                          generic MLIR-like form, or Graphviz; by default the input's own form
  --split-input-file      process each chunk between `// -----` lines on its own
  --run=ARGS              run the result on ARGS: values separated by `;`, each a number or a
                          bracketed list `[1, 2, 3]` (shaped and typed by the program's inputs)
  --verify-each[=false]   verify the IR after every pass (on by default)
  -h, --help              this text
"""

/// A usage error (exit 2) or a user error (exit 1), with its one-line message.
exception private Usage of string
exception private UserError of string

type private Settings =
    { Input: string option
      /// None: the input's own form (jaxpr for a jaxpr, the generic form otherwise).
      Emit: DumpFormat option
      Split: bool
      Run: string option
      Flags: string list }

let private parseArgs (argv: string[]) =
    let mutable s = { Input = None; Emit = None; Split = false; Run = None; Flags = [ "--verify-each" ] }
    let mutable i = 0
    while i < argv.Length do
        let a = argv[i]
        match a with
        | "--split-input-file" -> s <- { s with Split = true }
        | "--emit=jaxpr" -> s <- { s with Emit = Some Jaxpr }
        | "--emit=ir" -> s <- { s with Emit = Some Ir }
        | "--emit=dot" -> s <- { s with Emit = Some Dot }
        | _ when a.StartsWith "--emit" -> raise (Usage $"bad value in '{a}': expected --emit=jaxpr, --emit=ir or --emit=dot")
        | "--run" when i + 1 < argv.Length ->
            i <- i + 1
            s <- { s with Run = Some argv[i] }
        | _ when a.StartsWith "--run=" -> s <- { s with Run = Some(a.Substring 6) }
        | "--run" -> raise (Usage "--run needs its arguments")
        | "-" -> s <- { s with Input = Some "-" }
        | _ when a.StartsWith "-" -> s <- { s with Flags = s.Flags @ [ a ] }
        | _ when s.Input.IsSome -> raise (Usage $"more than one input: '{s.Input.Value}' and '{a}'")
        | _ -> s <- { s with Input = Some a }
        i <- i + 1
    s

/// The chunks of the input (one unless split), with the line each starts at.
let private chunks (split: bool) (text: string) =
    if not split then [ 1, text ]
    else
        let lines = text.Replace("\r\n", "\n").Split('\n')
        let result = ResizeArray<int * string>()
        let mutable start = 0
        for k in 0 .. lines.Length do
            if k = lines.Length || lines[k].Trim() = "// -----" then
                result.Add(start + 1, String.Join("\n", lines[start .. k - 1]))
                start <- k + 1
        List.ofSeq result

/// `//` comment lines blanked (RUN and CHECK lines of test files), keeping line numbers.
let private uncomment (text: string) =
    text.Replace("\r\n", "\n").Split('\n')
    |> Array.map (fun l -> if l.TrimStart().StartsWith "//" then "" else l)
    |> fun ls -> String.Join("\n", ls)

/// One argument of --run as the array an input of `aval` takes.
let private argument (aval: Aval) (text: string) =
    let t = text.Trim()
    let items = if t.StartsWith "[" && t.EndsWith "]" then t.Substring(1, t.Length - 2).Split(',') else [| t |]
    let values =
        items
        |> Array.filter (fun x -> x.Trim() <> "")
        |> Array.map (fun x ->
            match x.Trim() with
            | "True" | "true" -> 1.0
            | "False" | "false" -> 0.0
            | v ->
                match Double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture) with
                | true, d -> d
                | _ -> raise (UserError $"--run: '{v}' is not a number"))
    if values.Length <> Aval.size aval then
        raise (UserError $"--run: an input of {Aval.str aval} needs {Aval.size aval} values, got {values.Length}")
    NdArray.ofFloats aval.DType aval.Shape values

let private show (a: NdArray) =
    let values = NdArray.toFloats a |> Array.map (fun v -> NdArray.scalarText a.Aval.DType v)
    let body = if a.Aval.Shape.Length = 0 then values[0] else "[" + String.Join(", ", values) + "]"
    $"{Aval.str a.Aval} {body}"

let private execute (m: Jit.Module) (args: string) =
    let inputs = Jit.inputAvals m
    let texts = if args.Trim() = "" then [] else args.Split(';') |> List.ofArray
    if texts.Length <> inputs.Length then
        raise (UserError $"--run: the program takes {inputs.Length} inputs, got {texts.Length}")
    Jit.evalModule m (List.map2 argument inputs texts)

let private processChunk (s: Settings) (options: Options) (name: string) (firstLine: int) (text: string) (out: TextWriter) (err: TextWriter) =
    let source = uncomment text
    // the input's stage, by its first word
    let read (parse: string -> Result<'a, LaxParse.ParseError>) (stage: 'a -> Jit.Module) (form: DumpFormat) =
        match parse source with
        | Ok c -> stage c, form
        | Error e -> raise (UserError $"{name}:{firstLine + e.Line - 1}:{e.Column}: {e.Message}")
    let input, inputForm =
        match source.TrimStart() with
        | t when t.StartsWith "{ lambda" -> read LaxParse.parse Jit.LaxModule Jaxpr
        | t when t.StartsWith "lax.func" -> read LaxGeneric.parse Jit.LaxModule Ir
        | t when t.StartsWith "kernel.func" -> read KernelGeneric.parse Jit.KernelModule Ir
        | t when t.StartsWith "loop.func" -> read LoopText.parse Jit.LoopModule Ir
        | _ ->
            let line = firstLine + (source.Split('\n') |> Array.tryFindIndex (fun l -> l.Trim() <> "") |> Option.defaultValue 0)
            raise (UserError $"{name}:{line}:1: expected a jaxpr ('{{ lambda ...') or generic IR ('lax.func', 'kernel.func' or 'loop.func ...')")
    let result, _ = PassManager.run options Jit.registry [] Jit.hooks (fun t -> err.Write t) input
    out.WriteLine(Jit.hooks.Print (defaultArg s.Emit inputForm) result)
    match s.Run with
    | Some args -> execute result args |> List.iteri (fun i a -> out.WriteLine $"result {i}: {show a}")
    | None -> ()

/// Runs cotangent-opt with `argv`, reading `stdin` for `-`; returns the exit code.
let run (argv: string[]) (input: TextReader) (out: TextWriter) (err: TextWriter) : int =
    try
        if argv |> Array.exists (fun a -> a = "-h" || a = "--help") then
            out.Write(usage + "\n" + PassManager.describe Jit.registry)
            0
        else
            let s = parseArgs argv
            let options =
                try
                    PassManager.parseFlagList s.Flags (PassManager.fromEnvironment Options.empty)
                with :? CotangentException as e -> raise (Usage e.Message)
            let name, text =
                match s.Input with
                | None -> raise (Usage "no input: give a file, or - for standard input")
                | Some "-" -> "<stdin>", input.ReadToEnd()
                | Some path when File.Exists path -> path, File.ReadAllText path
                | Some path -> raise (UserError $"cannot read '{path}': no such file")
            let parts = chunks s.Split text
            parts |> List.iteri (fun k (line, chunk) ->
                if k > 0 then out.WriteLine "// -----"
                processChunk s options name line chunk out err)
            0
    with
    | Usage message ->
        err.WriteLine $"cotangent-opt: {message}"
        err.WriteLine "Try 'cotangent-opt --help'."
        2
    | UserError message ->
        err.WriteLine $"cotangent-opt: error: {message}"
        1
    | :? CotangentException as e ->
        err.WriteLine $"cotangent-opt: error: {e.Message}"
        1
    | :? IOException as e ->
        err.WriteLine $"cotangent-opt: error: {e.Message}"
        1
