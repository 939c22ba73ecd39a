/// The pass manager: runs a pipeline of named passes over a module of any dialect ('M), with
/// MLIR's instrumentation (IR dumps around passes, a verifier after each pass, a time report,
/// pass statistics), configured by flags spelled as in MLIR and read from `COTANGENT_FLAGS`.
/// Takes: options, the registry of passes, the default pipeline (names from the registry),
/// the dialect's hooks (print, verify, dump-file extension), and a sink for printed text.
/// Returns: the final module and a report (per-pass times and statistics, all printed text).
/// Guarantees: every bad flag, value or pass name raises CotangentException("pass-manager", …)
/// naming it and listing the valid choices, before any pass runs; a pass that throws, or whose
/// result the verifier rejects, raises CotangentException whose Primitive is that pass's name.
module Cotangent.Core.PassManager

open System
open System.Diagnostics
open System.Globalization
open System.IO
open System.Text

/// A counter a pass reports, as MLIR's `Pass::Statistic`: `num-cse'd`, 2, "Number of operations CSE'd".
type Stat = Passes.PassTypes.Stat

/// `jaxpr`: JAX's text form; `ir`: the generic form that parses back; `dot`: a Graphviz picture.
type DumpFormat =
    | Jaxpr
    | Ir
    | Dot

type Pass<'M> =
    { /// The pipeline name, kebab-case: `cse`, `lower-to-loops`.
      Name: string
      /// The name MLIR prints in dump headers and reports: `CSE`, `LowerToLoops`.
      Title: string
      Description: string
      /// The dialect (stage) of the module it takes and of the one it returns, as
      /// `Hooks.Dialect` names them: `lax` → `kernel` for fuse.
      Consumes: string
      Produces: string
      Run: 'M -> 'M * Stat list }

/// What the pass manager needs to know about a dialect's modules.
type Hooks<'M> =
    { /// The whole module as text in the chosen format.
      Print: DumpFormat -> 'M -> string
      /// Raises on invalid IR.
      Verify: 'M -> unit
      /// The file extension of each format for `--dump-dir`, without the dot.
      Extension: DumpFormat -> string
      /// The dialect (stage) a module is at; checked against each pass's Consumes and Produces.
      Dialect: 'M -> string }

type Options =
    { PrintBefore: string list
      PrintAfter: string list
      PrintBeforeAll: bool
      PrintAfterAll: bool
      /// Prints after a pass only when its printed IR differs from its input's; alone, it applies
      /// to every pass, with `--print-ir-after=P` only to those named.
      PrintAfterChange: bool
      /// When a pass throws, prints the IR it was given; when the verifier rejects a pass's
      /// result, prints that result (the IR the verifier saw).
      PrintAfterFailure: bool
      DumpDir: string option
      DumpFormat: DumpFormat
      Timing: bool
      PassStatistics: bool
      Pipeline: string list option
      DisabledPasses: string list
      VerifyEach: bool }

module Options =
    let empty =
        { PrintBefore = []
          PrintAfter = []
          PrintBeforeAll = false
          PrintAfterAll = false
          PrintAfterChange = false
          PrintAfterFailure = false
          DumpDir = None
          DumpFormat = Ir
          Timing = false
          PassStatistics = false
          Pipeline = None
          DisabledPasses = []
          VerifyEach = false }

/// What a run measured and printed. `Timings` and `Statistics` have one entry per pass run, in
/// order, keyed by pass name; `Text` is everything given to the sink (dumps written to
/// `--dump-dir` go to files instead, and are not in it).
type Report =
    { Timings: (string * TimeSpan) list
      Statistics: (string * Stat list) list
      Text: string }

let private fail detail : 'a =
    raise (CotangentException("pass-manager", detail, None))

// ---- Flags -------------------------------------------------------------------------------------

let private formats = [ "jaxpr", Jaxpr; "ir", Ir; "dot", Dot ]

/// One command-line flag: its spelling in help and errors, and how its value updates options.
type private Flag =
    { Flag: string
      Syntax: string
      Help: string
      Apply: string option -> Options -> Options }

let private boolValue flag (value: string option) =
    match value with
    | None
    | Some "true" -> true
    | Some "false" -> false
    | Some v -> fail $"flag '--{flag}' takes true or false, not '{v}'"

let private requiredValue flag syntax (value: string option) =
    match value with
    | Some v -> v
    | None -> fail $"flag '--{flag}' needs a value: {syntax}"

let private passNames flag syntax value =
    match requiredValue flag syntax value with
    | "" -> []
    | text ->
        let names = text.Split(',') |> List.ofArray
        if List.contains "" names then
            fail $"flag '--{flag}' has an empty pass name in '{text}': {syntax}"
        names

let private flags: Flag list =
    let switch name help apply =
        { Flag = name; Syntax = $"--{name}"; Help = help; Apply = fun v o -> apply (boolValue name v) o }
    let names name help apply =
        let syntax = $"--{name}=P,..."
        { Flag = name; Syntax = syntax; Help = help; Apply = fun v o -> apply (passNames name syntax v) o }
    [ names "print-ir-before" "print the IR before each named pass" (fun ps o ->
          { o with PrintBefore = o.PrintBefore @ ps })
      names "print-ir-after" "print the IR after each named pass" (fun ps o -> { o with PrintAfter = o.PrintAfter @ ps })
      switch "print-ir-before-all" "print the IR before every pass" (fun b o -> { o with PrintBeforeAll = b })
      switch "print-ir-after-all" "print the IR after every pass" (fun b o -> { o with PrintAfterAll = b })
      switch "print-ir-after-change" "print the IR after a pass only when the pass changed it" (fun b o ->
          { o with PrintAfterChange = b })
      switch "print-ir-after-failure" "print the IR a failing pass or the verifier saw" (fun b o ->
          { o with PrintAfterFailure = b })
      { Flag = "dump-dir"
        Syntax = "--dump-dir=DIR"
        Help = "write each IR dump to DIR/NN_<pass>.<ext> instead of the output"
        Apply = fun v o -> { o with DumpDir = Some(requiredValue "dump-dir" "--dump-dir=DIR" v) } }
      { Flag = "dump-format"
        Syntax = "--dump-format=jaxpr|ir|dot"
        Help = "print dumps as JAX jaxprs, generic IR, or Graphviz"
        Apply =
          fun v o ->
              let text = requiredValue "dump-format" "--dump-format=jaxpr|ir|dot" v
              match List.tryFind (fst >> (=) text) formats with
              | Some(_, format) -> { o with DumpFormat = format }
              | None -> fail $"flag '--dump-format' takes jaxpr, ir or dot, not '{text}'" }
      switch "timing" "print the execution time of each pass" (fun b o -> { o with Timing = b })
      switch "pass-statistics" "print each pass's statistics" (fun b o -> { o with PassStatistics = b })
      names "pipeline" "run these passes, in this order, instead of the default pipeline" (fun ps o ->
          { o with Pipeline = Some ps })
      names "disable-pass" "leave the named passes out of the pipeline" (fun ps o ->
          { o with DisabledPasses = o.DisabledPasses @ ps })
      switch "verify-each" "run the verifier after each pass (=true|false)" (fun b o -> { o with VerifyEach = b }) ]

/// The flags with their help, one a line, for `--help` and error messages.
let flagHelp =
    let width = flags |> List.map (fun f -> f.Syntax.Length) |> List.max
    flags |> List.map (fun f -> $"  {f.Syntax.PadRight width}  {f.Help}\n") |> String.concat ""

let private parseFrom (source: string) (tokens: string list) (options: Options) =
    let apply (options: Options) (token: string) =
        let body =
            if token.StartsWith "--" then token.Substring 2
            elif token.StartsWith "-" then token.Substring 1
            else fail $"expected a flag starting with '--'{source}, not '{token}'; valid flags:\n{flagHelp.TrimEnd()}"
        let name, value =
            match body.IndexOf '=' with
            | -1 -> body, None
            | i -> body.Substring(0, i), Some(body.Substring(i + 1))
        match flags |> List.tryFind (fun f -> f.Flag = name) with
        | Some flag -> flag.Apply value options
        | None -> fail $"unknown flag '--{name}'{source}; valid flags:\n{flagHelp.TrimEnd()}"
    List.fold apply options tokens

/// Applies flags, one a list item, on top of `options`.
let parseFlagList (tokens: string list) (options: Options) = parseFrom "" tokens options

let private words (text: string) =
    text.Split([| ' '; '\t'; '\n'; '\r' |], StringSplitOptions.RemoveEmptyEntries) |> List.ofArray

/// Applies a space-separated flag string (as in `COTANGENT_FLAGS`) on top of `options`.
let parseFlags (text: string) (options: Options) = parseFrom "" (words text) options

/// Applies the flags in the environment variable `COTANGENT_FLAGS`, if it is set.
let fromEnvironment (options: Options) =
    match Environment.GetEnvironmentVariable "COTANGENT_FLAGS" with
    | null -> options
    | text -> parseFrom " in COTANGENT_FLAGS" (words text) options

// ---- Reports, as MLIR prints them (Support/Timing.cpp, Pass/PassStatistics.cpp) ---------------

/// C's `%*.*f`, culture-invariant.
let private figure (width: int) (decimals: int) (x: float) =
    x.ToString("F" + string decimals, CultureInfo.InvariantCulture).PadLeft width

let private banner (title: string) =
    let rule = "===" + String('-', 73) + "===\n"
    rule + String(' ', (80 - title.Length) / 2) + title + "\n" + rule

/// MLIR's tree display with the root hidden: one line per pass run, in order, then the rest.
let private timeReport (total: TimeSpan) (entries: (string * TimeSpan) list) =
    let line (name: string) (time: TimeSpan) =
        let percent = if total.Ticks = 0L then 0.0 else 100.0 * time.TotalSeconds / total.TotalSeconds
        $"  {figure 8 4 time.TotalSeconds} ({figure 5 1 percent}%%)  {name}\n"
    let passes = entries |> List.sumBy (fun (_, t: TimeSpan) -> t.Ticks)
    let rest = TimeSpan(max 0L (total.Ticks - passes))
    banner "... Execution time report ..."
    + $"  Total Execution Time: {figure 0 4 total.TotalSeconds} seconds\n\n"
    + "  ----Wall Time----  ----Name----\n"
    + (entries |> List.map (fun (name, time) -> line name time) |> String.concat "")
    + line "Rest" rest
    + line "Total" total

/// MLIR's pipeline display: each pass run in order, its statistics sorted by name and aligned.
let private statisticsReport (entries: (string * Stat list) list) =
    let entry (title: string, stats: Stat list) =
        let stats = stats |> List.sortWith (fun a b -> String.CompareOrdinal(a.Name, b.Name))
        let nameWidth = stats |> List.map (fun s -> s.Name.Length) |> List.fold max 0
        let valueWidth = stats |> List.map (fun s -> string s.Value |> String.length) |> List.fold max 0
        title + "\n"
        + (stats
           |> List.map (fun s ->
               $"  (S) {(string s.Value).PadLeft valueWidth} {s.Name.PadRight nameWidth} - {s.Description}\n")
           |> String.concat "")
    banner "... Pass statistics report ..." + (entries |> List.map entry |> String.concat "") + "\n"

/// A `--help`-like list of the registered passes and their descriptions, then the flags.
let describe (registry: Pass<'M> list) =
    let width = registry |> List.map (fun p -> p.Name.Length) |> List.fold max 0
    "Passes (--pipeline=a,b,...):\n"
    + (registry |> List.map (fun p -> $"  {p.Name.PadRight width}  - {p.Description} ({p.Consumes} -> {p.Produces})\n") |> String.concat "")
    + "Flags:\n"
    + flagHelp

// ---- Running a pipeline ------------------------------------------------------------------------

/// Resolves every pass name the options mention, so a typo fails before any pass runs.
let private resolve (options: Options) (registry: Pass<'M> list) (defaultPipeline: string list) =
    match registry |> List.countBy (fun p -> p.Name) |> List.tryFind (fun (_, n) -> n > 1) with
    | Some(name, _) -> fail $"pass '{name}' is registered twice"
    | None -> ()
    let valid = registry |> List.map (fun p -> p.Name) |> String.concat ", "
    let find source name =
        match registry |> List.tryFind (fun p -> p.Name = name) with
        | Some pass -> pass
        | None -> fail $"unknown pass '{name}' in {source}; valid passes: {valid}"
    let check source names = names |> List.iter (find source >> ignore)
    check "--print-ir-before" options.PrintBefore
    check "--print-ir-after" options.PrintAfter
    check "--disable-pass" options.DisabledPasses
    let source, names =
        match options.Pipeline with
        | Some names -> "--pipeline", names
        | None -> "the default pipeline", defaultPipeline
    names
    |> List.map (find source)
    |> List.filter (fun p -> not (List.contains p.Name options.DisabledPasses))

let private describeError (ex: exn) =
    match ex with
    | :? CotangentException -> ex.Message
    | _ -> $"{ex.GetType().FullName}: {ex.Message}"

/// Runs the pipeline (`--pipeline`, else `defaultPipeline`, less `--disable-pass`) over `input`.
let run
    (options: Options)
    (registry: Pass<'M> list)
    (defaultPipeline: string list)
    (hooks: Hooks<'M>)
    (sink: string -> unit)
    (input: 'M)
    : 'M * Report =
    let clock = Stopwatch.StartNew()
    let pipeline = resolve options registry defaultPipeline
    options.DumpDir
    |> Option.iter (fun dir ->
        try
            Directory.CreateDirectory dir |> ignore
        with ex ->
            fail $"flag '--dump-dir' cannot create '{dir}': {ex.Message}")
    let text = StringBuilder()
    let emit (chunk: string) =
        text.Append chunk |> ignore
        sink chunk
    let mutable snapshot = 0
    let dump (header: string) (pass: Pass<'M>) (ir: string) =
        let chunk = $"// -----// IR Dump {header} ({pass.Name}) //----- //\n" + ir.TrimEnd('\n') + "\n\n"
        match options.DumpDir with
        | Some dir ->
            let file = sprintf "%02d_%s.%s" snapshot pass.Name (hooks.Extension options.DumpFormat)
            File.WriteAllText(Path.Combine(dir, file), chunk)
        | None -> emit chunk
        snapshot <- snapshot + 1
    let print (m: 'M) = hooks.Print options.DumpFormat m
    let printsBefore (pass: Pass<'M>) =
        options.PrintBeforeAll || List.contains pass.Name options.PrintBefore
    let printsAfter (pass: Pass<'M>) =
        options.PrintAfterAll
        || List.contains pass.Name options.PrintAfter
        || (options.PrintAfterChange && options.PrintAfter.IsEmpty)
    let failed (pass: Pass<'M>) (ir: unit -> string) detail : 'a =
        if options.PrintAfterFailure then
            let shown =
                try
                    ir ()
                with ex ->
                    $"<the IR could not be printed: {describeError ex}>"
            dump $"After {pass.Title} Failed" pass shown
        raise (CotangentException(pass.Name, detail, None))
    let step (m: 'M, runs) (pass: Pass<'M>) =
        let before = lazy (print m)
        if printsBefore pass then
            dump $"Before {pass.Title}" pass before.Value
        let dialect = hooks.Dialect m
        if dialect <> pass.Consumes then
            failed pass before.Force $"pass '{pass.Name}' consumes the {pass.Consumes} dialect, but the module is at {dialect}; order the pipeline by stage"
        let watch = Stopwatch.StartNew()
        let result, stats =
            try
                pass.Run m
            with ex ->
                failed pass before.Force $"pass '{pass.Name}' failed: {describeError ex}"
        watch.Stop()
        if hooks.Dialect result <> pass.Produces then
            failed pass (fun () -> print result) $"pass '{pass.Name}' should produce the {pass.Produces} dialect but produced {hooks.Dialect result}"
        if options.VerifyEach then
            try
                hooks.Verify result
            with ex ->
                failed pass (fun () -> print result) $"verifier failed after pass '{pass.Name}': {describeError ex}"
        if printsAfter pass then
            let after = print result
            if not options.PrintAfterChange || after <> before.Value then
                dump $"After {pass.Title}" pass after
        result, (pass, watch.Elapsed, stats) :: runs
    let output, runs = List.fold step (input, []) pipeline
    let runs = List.rev runs
    clock.Stop()
    if options.PassStatistics then
        emit (statisticsReport (runs |> List.map (fun (pass, _, stats) -> pass.Title, stats)))
    if options.Timing then
        emit (timeReport clock.Elapsed (runs |> List.map (fun (pass, time, _) -> pass.Title, time)))
    output,
    { Timings = runs |> List.map (fun (pass, time, _) -> pass.Name, time)
      Statistics = runs |> List.map (fun (pass, _, stats) -> pass.Name, stats)
      Text = text.ToString() }
