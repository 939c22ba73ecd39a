/// The pass manager on a toy dialect (a module is a list of ints; the verifier rejects negative
/// numbers), so every flag is checked without depending on a real dialect: dump headers byte for
/// byte as MLIR prints them, which dumps appear, dump files, reports, and errors.
module Cotangent.Core.Tests.PassManagerTests

open System
open System.IO
open Xunit
open Cotangent.Core
open Cotangent.Core.PassManager

let private pass name title description run : Pass<int list> =
    { Name = name; Title = title; Description = description; Consumes = "toy"; Produces = "toy"; Run = run }

let private stat name value description : Stat =
    { Name = name; Value = value; Description = description }

let private registry =
    [ pass "double" "Double" "Multiply every number by two" (fun xs ->
          List.map ((*) 2) xs, [ stat "num-doubled" xs.Length "Number of numbers doubled" ])
      pass "drop-odd" "DropOdd" "Remove odd numbers" (fun xs ->
          let kept = List.filter (fun x -> x % 2 = 0) xs
          kept,
          [ stat "num-kept" kept.Length "Number of numbers kept"
            stat "num-dropped" (xs.Length - kept.Length) "Number of numbers dropped" ])
      pass "noop" "Noop" "Change nothing" (fun xs -> xs, [])
      pass "fail" "Fail" "Always throw" (fun _ -> raise (InvalidOperationException "boom"))
      pass "corrupt" "Corrupt" "Negate every number (the verifier rejects the result)" (fun xs ->
          List.map (~-) xs, []) ]

let private hooks: Hooks<int list> =
    { Print =
        fun format xs ->
            let commas = xs |> List.map string |> String.concat ", "
            let arrows = xs |> List.map string |> String.concat " -> "
            match format with
            | Jaxpr -> $"{{ lambda ; . let in ({commas},) }}"
            | Ir -> $"toy.ints [{commas}]"
            | Dot -> $"digraph {{ {arrows} }}"
      Dialect = fun _ -> "toy"
      Verify =
        fun xs ->
            match List.tryFind (fun x -> x < 0) xs with
            | Some x -> failwith $"negative number {x}"
            | None -> ()
      Extension =
        function
        | Dot -> "dot"
        | Jaxpr
        | Ir -> "ir" }

let private defaults = [ "double"; "drop-odd" ]

/// Runs the toy pipeline with `flags` (verifier on), checking the sink saw exactly `Report.Text`.
let private runWith flags (input: int list) =
    let seen = Text.StringBuilder()
    let options = parseFlags flags { Options.empty with VerifyEach = true }
    let output, report = run options registry defaults hooks (seen.Append >> ignore) input
    Assert.Equal(report.Text, seen.ToString())
    output, report

let private textOf flags input = (snd (runWith flags input)).Text

let private failsWith (fragments: string list) (body: unit -> unit) =
    let ex = Assert.Throws<CotangentException>(body)
    for f in fragments do
        Assert.Contains(f, ex.Message)
    ex

[<Fact>]
let ``without flags the default pipeline runs and nothing is printed`` () =
    let output, report = runWith "" [ 1; 2; 3 ]
    Assert.Equal<int list>([ 2; 4; 6 ], output)
    Assert.Equal("", report.Text)
    Assert.Equal<string list>(defaults, report.Timings |> List.map fst)

[<Fact>]
let ``print-ir-after prints MLIR's header, the IR and a blank line`` () =
    Assert.Equal(
        "// -----// IR Dump After Double (double) //----- //\ntoy.ints [2, 6]\n\n",
        textOf "--print-ir-after=double" [ 1; 3 ]
    )

[<Fact>]
let ``print-ir-before prints the IR the named pass is given`` () =
    Assert.Equal(
        "// -----// IR Dump Before DropOdd (drop-odd) //----- //\ntoy.ints [2, 6]\n\n",
        textOf "--print-ir-before=drop-odd" [ 1; 3 ]
    )

[<Fact>]
let ``print-ir-before and -after take several passes`` () =
    let text = textOf "--pipeline=double,noop,drop-odd --print-ir-before=noop,drop-odd" [ 1 ]
    Assert.Equal(
        "// -----// IR Dump Before Noop (noop) //----- //\ntoy.ints [2]\n\n"
        + "// -----// IR Dump Before DropOdd (drop-odd) //----- //\ntoy.ints [2]\n\n",
        text
    )

[<Fact>]
let ``print-ir-before-all and -after-all print around every pass in order`` () =
    let text = textOf "--print-ir-before-all --print-ir-after-all" [ 1 ]
    Assert.Equal(
        "// -----// IR Dump Before Double (double) //----- //\ntoy.ints [1]\n\n"
        + "// -----// IR Dump After Double (double) //----- //\ntoy.ints [2]\n\n"
        + "// -----// IR Dump Before DropOdd (drop-odd) //----- //\ntoy.ints [2]\n\n"
        + "// -----// IR Dump After DropOdd (drop-odd) //----- //\ntoy.ints [2]\n\n",
        text
    )

[<Fact>]
let ``print-ir-after-change prints only after passes that changed the IR`` () =
    let text = textOf "--pipeline=noop,double,drop-odd --print-ir-after-change" [ 2 ]
    Assert.Equal("// -----// IR Dump After Double (double) //----- //\ntoy.ints [4]\n\n", text)

[<Fact>]
let ``print-ir-after-change with print-ir-after narrows to the named passes`` () =
    let flags = "--pipeline=noop,double,drop-odd --print-ir-after=noop,drop-odd --print-ir-after-change"
    Assert.Equal("", textOf flags [ 2 ])
    Assert.Equal(
        "// -----// IR Dump After DropOdd (drop-odd) //----- //\ntoy.ints []\n\n",
        textOf "--pipeline=noop,drop-odd --print-ir-after=noop,drop-odd --print-ir-after-change" [ 1 ]
    )

[<Fact>]
let ``a throwing pass raises with its name, and print-ir-after-failure shows the IR it saw`` () =
    let mutable seen = ""
    let options = parseFlags "--pipeline=double,fail --print-ir-after-failure" Options.empty
    let ex =
        failsWith [ "pass 'fail' failed: "; "InvalidOperationException"; "boom" ] (fun () ->
            run options registry defaults hooks (fun s -> seen <- seen + s) [ 1; 3 ] |> ignore)
    Assert.Equal("fail", ex.Primitive)
    Assert.Equal("// -----// IR Dump After Fail Failed (fail) //----- //\ntoy.ints [2, 6]\n\n", seen)

[<Fact>]
let ``without print-ir-after-failure a failing pass prints nothing`` () =
    let mutable seen = ""
    let options = parseFlags "--pipeline=fail" Options.empty
    failsWith [ "pass 'fail' failed" ] (fun () -> run options registry defaults hooks (fun s -> seen <- seen + s) [ 1 ] |> ignore)
    |> ignore
    Assert.Equal("", seen)

[<Fact>]
let ``verify-each rejects a corrupting pass by name and shows the IR the verifier saw`` () =
    let mutable seen = ""
    let options = parseFlags "--pipeline=double,corrupt,noop --verify-each --print-ir-after-failure" Options.empty
    let ex =
        failsWith [ "verifier failed after pass 'corrupt': "; "negative number -2" ] (fun () ->
            run options registry defaults hooks (fun s -> seen <- seen + s) [ 1 ] |> ignore)
    Assert.Equal("corrupt", ex.Primitive)
    Assert.Equal("// -----// IR Dump After Corrupt Failed (corrupt) //----- //\ntoy.ints [-2]\n\n", seen)

[<Fact>]
let ``without verify-each (or with verify-each=false) a corrupting pass goes unnoticed`` () =
    for options in [ Options.empty; parseFlags "--verify-each --verify-each=false" Options.empty ] do
        let output, _ = run (parseFlags "--pipeline=corrupt" options) registry defaults hooks ignore [ 1 ]
        Assert.Equal<int list>([ -1 ], output)

[<Fact>]
let ``dump-dir writes numbered files instead of printing`` () =
    let dir = Path.Combine(Path.GetTempPath(), $"cotangent-pm-{Guid.NewGuid():N}", "dumps")
    try
        let _, report = runWith $"--dump-dir={dir} --print-ir-before-all --print-ir-after=drop-odd" [ 1; 2 ]
        Assert.Equal("", report.Text)
        let files = Directory.GetFiles dir |> Array.map (Path.GetFileName >> nonNull) |> Array.sort
        Assert.Equal<string[]>([| "00_double.ir"; "01_drop-odd.ir"; "02_drop-odd.ir" |], files)
        Assert.Equal(
            "// -----// IR Dump Before Double (double) //----- //\ntoy.ints [1, 2]\n\n",
            File.ReadAllText(Path.Combine(dir, "00_double.ir"))
        )
        Assert.Equal(
            "// -----// IR Dump After DropOdd (drop-odd) //----- //\ntoy.ints [2, 4]\n\n",
            File.ReadAllText(Path.Combine(dir, "02_drop-odd.ir"))
        )
    finally
        Directory.Delete(Path.GetDirectoryName dir |> nonNull, true)

[<Fact>]
let ``dump-format selects the printed format and the dump file's extension`` () =
    Assert.Equal(
        "// -----// IR Dump After Double (double) //----- //\n{ lambda ; . let in (2, 4,) }\n\n",
        textOf "--pipeline=double --print-ir-after-all --dump-format=jaxpr" [ 1; 2 ]
    )
    let dir = Path.Combine(Path.GetTempPath(), $"cotangent-pm-{Guid.NewGuid():N}")
    try
        runWith $"--pipeline=double --print-ir-after-all --dump-format=dot --dump-dir={dir}" [ 1; 2 ] |> ignore
        Assert.Equal(
            "// -----// IR Dump After Double (double) //----- //\ndigraph { 2 -> 4 }\n\n",
            File.ReadAllText(Path.Combine(dir, "00_double.dot"))
        )
    finally
        Directory.Delete(dir, true)

[<Fact>]
let ``timing appends MLIR's execution time report, one line per pass run`` () =
    let lines = (textOf "--timing --pipeline=double,noop,double" [ 1 ]).Split('\n')
    let rule = "===" + String('-', 73) + "==="
    Assert.Equal(rule, lines[0])
    Assert.Equal(String(' ', 25) + "... Execution time report ...", lines[1])
    Assert.Equal(rule, lines[2])
    Assert.Matches(@"^  Total Execution Time: \d+\.\d{4} seconds$", lines[3])
    Assert.Equal("", lines[4])
    Assert.Equal("  ----Wall Time----  ----Name----", lines[5])
    let rows = lines[6..]
    Assert.Equal(6, rows.Length)
    Assert.Equal("", rows[5])
    for row, name in Array.zip rows[..4] [| "Double"; "Noop"; "Double"; "Rest"; "Total" |] do
        Assert.Matches(@"^  [ \d]{2}\d\.\d{4} \([ \d]{2}\d\.\d%\)  " + name + "$", row)
    Assert.EndsWith("(100.0%)  Total", rows[4])

[<Fact>]
let ``report timings list each pass run by name`` () =
    let _, report = runWith "--pipeline=double,noop,double" [ 1 ]
    Assert.Equal<string list>([ "double"; "noop"; "double" ], report.Timings |> List.map fst)
    Assert.All(report.Timings, fun (_, t) -> Assert.True(t >= TimeSpan.Zero))

[<Fact>]
let ``pass-statistics appends MLIR's statistics report, sorted and aligned`` () =
    let _, report = runWith "--pass-statistics --pipeline=double,noop,drop-odd" [ 1; 2; 3; 4; 5; 6; 7; 8; 9; 10; 11 ]
    let rule = "===" + String('-', 73) + "===\n"
    Assert.Equal(
        rule
        + String(' ', 25) + "... Pass statistics report ...\n"
        + rule
        + "Double\n"
        + "  (S) 11 num-doubled - Number of numbers doubled\n"
        + "Noop\n"
        + "DropOdd\n"
        + "  (S)  0 num-dropped - Number of numbers dropped\n"
        + "  (S) 11 num-kept    - Number of numbers kept\n"
        + "\n",
        report.Text
    )
    Assert.Equal<string list>([ "double"; "noop"; "drop-odd" ], report.Statistics |> List.map fst)

[<Fact>]
let ``pipeline and disable-pass change what runs`` () =
    let output, report = runWith "--pipeline=drop-odd,double" [ 1; 2; 3 ]
    Assert.Equal<int list>([ 4 ], output)
    Assert.Equal<string list>([ "drop-odd"; "double" ], report.Timings |> List.map fst)
    let output, report = runWith "--disable-pass=double" [ 1; 2; 3 ]
    Assert.Equal<int list>([ 2 ], output)
    Assert.Equal<string list>([ "drop-odd" ], report.Timings |> List.map fst)
    let output, _ = runWith "--pipeline=double,noop,drop-odd --disable-pass=noop --disable-pass=double" [ 1; 2 ]
    Assert.Equal<int list>([ 2 ], output)
    let output, _ = runWith "--pipeline=" [ 1 ]
    Assert.Equal<int list>([ 1 ], output)

[<Fact>]
let ``unknown flags and bad values are errors that list the valid choices`` () =
    let parse flags = fun () -> parseFlags flags Options.empty |> ignore
    let ex = failsWith [ "unknown flag '--print-ir-afterall'"; "--print-ir-after-all"; "--dump-dir=DIR" ] (parse "--print-ir-afterall")
    Assert.Equal("pass-manager", ex.Primitive)
    failsWith [ "'--dump-format'"; "jaxpr, ir or dot"; "'mlir'" ] (parse "--dump-format=mlir") |> ignore
    failsWith [ "'--verify-each'"; "true or false"; "'yes'" ] (parse "--verify-each=yes") |> ignore
    failsWith [ "'--dump-dir'"; "needs a value" ] (parse "--dump-dir") |> ignore
    failsWith [ "'--pipeline'"; "empty pass name" ] (parse "--pipeline=cse,,dce") |> ignore
    failsWith [ "expected a flag"; "'cse'" ] (parse "cse") |> ignore
    failsWith [ "unknown flag '--timing '" ] (fun () -> parseFlagList [ "--timing"; "--timing " ] Options.empty |> ignore)
    |> ignore

[<Fact>]
let ``unknown pass names are errors that list the registered passes, before any pass runs`` () =
    let valid = "valid passes: double, drop-odd, noop, fail, corrupt"
    for flags, source in
        [ "--pipeline=double,cse", "in --pipeline"
          "--print-ir-before=cse", "in --print-ir-before"
          "--print-ir-after=cse", "in --print-ir-after"
          "--disable-pass=cse", "in --disable-pass" ] do
        let mutable ran = false
        let options = parseFlags flags Options.empty
        let watched = registry |> List.map (fun p -> { p with Run = fun m -> ran <- true; p.Run m })
        failsWith [ "unknown pass 'cse'"; source; valid ] (fun () -> run options watched defaults hooks ignore [ 1 ] |> ignore)
        |> ignore
        Assert.False(ran, flags)
    failsWith [ "unknown pass 'cse' in the default pipeline" ] (fun () ->
        run Options.empty registry [ "cse" ] hooks ignore [ 1 ] |> ignore)
    |> ignore

[<Fact>]
let ``flags apply on top of the given options, and list flags accumulate`` () =
    let base' = { Options.empty with Timing = true; PrintAfter = [ "double" ] }
    let options = parseFlagList [ "--print-ir-after=noop"; "--print-ir-after=drop-odd"; "-pass-statistics" ] base'
    Assert.Equal<string list>([ "double"; "noop"; "drop-odd" ], options.PrintAfter)
    Assert.True(options.Timing && options.PassStatistics)
    Assert.Equal(Some [ "a"; "b" ], (parseFlags "  --pipeline=a,b\t" Options.empty).Pipeline)

[<Fact>]
let ``fromEnvironment applies COTANGENT_FLAGS when set`` () =
    let saved = Environment.GetEnvironmentVariable "COTANGENT_FLAGS"
    try
        // Harmless flags only: other tests may read the variable while it is set.
        Environment.SetEnvironmentVariable("COTANGENT_FLAGS", "--verify-each --dump-format=dot")
        let options = fromEnvironment Options.empty
        Assert.True(options.VerifyEach)
        Assert.Equal(Dot, options.DumpFormat)
        Environment.SetEnvironmentVariable("COTANGENT_FLAGS", null)
        Assert.Equal(Options.empty, fromEnvironment Options.empty)
    finally
        Environment.SetEnvironmentVariable("COTANGENT_FLAGS", saved)

[<Fact>]
let ``describe lists every pass with its description, then the flags`` () =
    let text = describe registry
    Assert.Contains("  double    - Multiply every number by two (toy -> toy)\n", text)
    Assert.Contains("  drop-odd  - Remove odd numbers (toy -> toy)\n", text)
    Assert.Contains("--print-ir-after-failure", text)
    Assert.Contains("--dump-format=jaxpr|ir|dot", text)

[<Fact>]
let ``a registry with a name twice is an error`` () =
    failsWith [ "pass 'noop' is registered twice" ] (fun () ->
        run Options.empty (registry @ [ registry[2] ]) defaults hooks ignore [ 1 ] |> ignore)
    |> ignore

[<Fact>]
let ``a pass given a module of another dialect fails naming both dialects`` () =
    let other = { pass "lower" "Lower" "Needs another dialect" (fun xs -> xs, []) with Consumes = "other" }
    let e = Assert.ThrowsAny<CotangentException>(fun () -> run Options.empty [ other ] [ "lower" ] hooks ignore [ 1 ] |> ignore)
    Assert.Equal("lower", e.Primitive)
    Assert.Contains("consumes the other dialect, but the module is at toy", e.Message)
