/// Every IR the pipeline produces reads back: on random programs and their gradients, each dump of
/// `--print-ir-after-all --dump-format=ir` (lax, kernel, loop and vec stages) parses with the
/// reader its first word names and prints back to the same text, as a user pasting a dump into
/// cotangent-opt would need.
module Cotangent.Core.Tests.PipelineTextTests

open System
open System.Text.RegularExpressions
open Xunit
open FsCheck.Xunit
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Tracing
open Cotangent.Core.Tests.ProgramGen
open Cotangent.Core.Tests.ProgramRun
open Cotangent.Core.Tests.GenericIrTests
module A = Cotangent.Core.NumpyArrays
module N = Cotangent.Core.Numpy

/// The IR after each pass of the default pipeline, in generic form.
let private dumps (closed: ClosedJaxpr<Lax.Prim>) : string list =
    let sb = Text.StringBuilder()
    let options = PassManager.parseFlagList [ "--print-ir-after-all"; "--dump-format=ir" ] PassManager.Options.empty
    Jit.compileWith options (fun s -> sb.Append s |> ignore) closed |> ignore
    Regex.Split(sb.ToString(), @"^// -----// IR Dump After .*$", RegexOptions.Multiline)
    |> Array.map (fun s -> s.Trim())
    |> Array.filter (fun s -> s <> "")
    |> List.ofArray

/// The stage a dump is at and the text its reader reads and prints back.
let private reprint (text: string) : string * string =
    let back parse print = readWith parse text |> print
    match text with
    | t when t.StartsWith "lax.func" -> "lax", back LaxGeneric.parse LaxGeneric.print
    | t when t.StartsWith "kernel.func" -> "kernel", back KernelGeneric.parse KernelGeneric.print
    | t when t.StartsWith "loop.func" && t.Contains "vec." -> "vec", back LoopText.parse Vec.print
    | t when t.StartsWith "loop.func" -> "loop", back LoopText.parse Vec.print
    | t -> failwith $"a dump in no known form:\n{t}"

[<Property(MaxTest = 100, Arbitrary = [| typeof<Generators> |])>]
let ``every dump of the default pipeline parses and prints back to itself`` (s: Sample) =
    let f = Program.toFunction s.Program
    let args = s.Inputs |> List.map Concrete
    let total xs = f xs |> List.map (A.sum None false) |> List.reduce N.add
    for closed in [ Api.makeJaxpr f args; Api.makeJaxpr (Api.grad total [ 0 .. args.Length - 1 ]) args ] do
        let texts = dumps closed
        Assert.Equal(List.length Jit.defaultPipeline, texts.Length)
        let stages = texts |> List.map (fun t -> let stage, again = reprint t in Assert.Equal(t, again.Trim()); stage)
        Assert.Equal<string list>([ "lax"; "lax"; "lax"; "lax"; "lax"; "kernel"; "loop" ], List.truncate 7 stages)

[<Fact>]
let ``every dump of a rolled loop's jacrev parses and prints back to itself`` () =
    let x = RerollTests.nearOne [| 40 |] 1
    let closed = Api.makeJaxpr (fun xs -> Api.jacrev RerollTests.seedLoop [ 0 ] xs |> List.concat) [ Concrete x ]
    let texts = dumps closed
    Assert.Equal(List.length Jit.defaultPipeline, texts.Length)
    // after reroll (the third pass) the program holds the two scans
    Assert.Equal(2, Regex.Matches(texts[2], @"= lax\.scan\b").Count)
    for t in texts do
        let _, again = reprint t
        Assert.Equal(t, again.Trim())

