/// FileCheck-style tests: every `ir/*.ir` file carries `// RUN: cotangent-opt %s ...` lines and
/// `// CHECK:`, `// CHECK-NEXT:`, `// CHECK-NOT:`, `// CHECK-LABEL:` lines that cotangent-opt's
/// output must match, as LLVM's FileCheck reads them (substrings, in order; NEXT on the line
/// right after the previous match; NOT between the previous match and the next one; LABEL
/// splits the output into blocks). cotangent-opt runs in process (Opt.run).
module Cotangent.Core.Tests.FileCheckTests

open System
open System.IO
open Xunit

type private Check =
    | Plain of string
    | Next of string
    | Not of string
    | Label of string

let private directives (text: string) =
    let lines = text.Replace("\r\n", "\n").Split('\n')
    let after (prefix: string) (line: string) =
        let i = line.IndexOf prefix
        if i < 0 then None else Some(line.Substring(i + prefix.Length).Trim())
    let runs = lines |> Array.choose (after "// RUN:") |> List.ofArray
    let checks =
        lines
        |> Array.choose (fun l ->
            match after "// CHECK-NEXT:" l, after "// CHECK-NOT:" l, after "// CHECK-LABEL:" l, after "// CHECK:" l with
            | Some s, _, _, _ -> Some(Next s)
            | _, Some s, _, _ -> Some(Not s)
            | _, _, Some s, _ -> Some(Label s)
            | _, _, _, Some s -> Some(Plain s)
            | _ -> None)
        |> List.ofArray
    runs, checks

/// Matches `checks` against `output`; None when all hold, else what failed.
let private fileCheck (checks: Check list) (output: string) : string option =
    let lines = output.Replace("\r\n", "\n").Split('\n')
    let find (s: string) (from: int) = seq { from .. lines.Length - 1 } |> Seq.tryFind (fun i -> lines[i].Contains s)
    let rec go (checks: Check list) (pos: int) (nots: string list) =
        let violated (upTo: int) = nots |> List.tryFind (fun n -> seq { pos .. upTo - 1 } |> Seq.exists (fun i -> lines[i].Contains n))
        match checks with
        | [] ->
            match violated lines.Length with
            | Some n -> Some $"CHECK-NOT: '{n}' found after the last match"
            | None -> None
        | Not s :: rest -> go rest pos (s :: nots)
        | (Plain s | Label s) :: rest ->
            match find s pos with
            | None -> Some $"CHECK: '{s}' not found after line {pos}"
            | Some i ->
                match violated i with
                | Some n -> Some $"CHECK-NOT: '{n}' found before '{s}'"
                | None -> go rest (i + 1) []
        | Next s :: rest ->
            if pos < lines.Length && lines[pos].Contains s then go rest (pos + 1) []
            else
                let actual = if pos < lines.Length then lines[pos] else "<end>"
                Some $"CHECK-NEXT: '{s}' is not on line {pos + 1}: '{actual}'"
    go checks 0 []

let private irDirectory = Path.Combine(AppContext.BaseDirectory, "ir")

let irFiles () : seq<objnull[]> =
    Directory.GetFiles(irDirectory, "*.ir") |> Array.sort |> Seq.map (fun f -> [| (box (Path.GetFileName f) : objnull) |])

[<Theory>]
[<MemberData(nameof irFiles)>]
let ``ir file passes its RUN and CHECK lines`` (file: string) =
    let path = Path.Combine(irDirectory, file)
    let runs, checks = directives (File.ReadAllText path)
    Assert.NotEmpty runs
    Assert.NotEmpty checks
    for run in runs do
        let words = run.Split(' ', StringSplitOptions.RemoveEmptyEntries) |> List.ofArray
        match words with
        | "cotangent-opt" :: args ->
            let argv = args |> List.filter ((<>) "2>&1") |> List.map (fun a -> if a = "%s" then path else a) |> Array.ofList
            use out = new StringWriter()
            use err = new StringWriter()
            let code = Cotangent.Opt.Opt.run argv (new StringReader("")) out err
            // a file testing errors says so with `not` in its checks of stderr: `// RUN: ... 2>&1`
            let output = out.ToString() + (if run.Contains "2>&1" then err.ToString() else "")
            if not (run.Contains "2>&1") then Assert.True((code = 0), $"{file}: exit {code}: {err}")
            match fileCheck checks output with
            | Some failure -> failwith $"{file}: {failure}\n--- output ---\n{output}"
            | None -> ()
        | _ -> failwith $"{file}: a RUN line must start with cotangent-opt: '{run}'"

[<Fact>]
let ``the checker itself fails on a missing line, a wrong next line and a forbidden one`` () =
    let output = "a\nb\nc"
    Assert.True((fileCheck [ Plain "a"; Next "b"; Plain "c" ] output).IsNone)
    Assert.True((fileCheck [ Plain "x" ] output).IsSome)
    Assert.True((fileCheck [ Plain "a"; Next "c" ] output).IsSome)
    Assert.True((fileCheck [ Plain "a"; Not "b"; Plain "c" ] output).IsSome)
    Assert.True((fileCheck [ Plain "b"; Not "a" ] output).IsNone)

[<Fact>]
let ``cotangent-opt exits 2 on bad usage and 1 on a user error, with one line and no stack trace`` () =
    let run (argv: string[]) (input: string) =
        use out = new StringWriter()
        use err = new StringWriter()
        let code = Cotangent.Opt.Opt.run argv (new StringReader(input)) out err
        code, err.ToString()
    let code, err = run [||] ""
    Assert.Equal(2, code)
    Assert.Contains("no input", err)
    let code, err = run [| "-"; "--emit=svg" |] ""
    Assert.Equal(2, code)
    let code, err = run [| "-" |] "{ lambda ; a:f32[]. let b:f32[] = foo a in (b,) }"
    Assert.Equal(1, code)
    Assert.Contains("<stdin>:1:35: unknown primitive 'foo'", err)
    Assert.DoesNotContain("   at ", err)
    let code, err = run [| "-"; "--pipeline=vectorize" |] "{ lambda ; a:f32[]. let b:f32[] = sin a in (b,) }"
    Assert.Equal(1, code)
    Assert.Contains("vectorize", err)
    let code, _ = run [| "--help" |] ""
    Assert.Equal(0, code)
