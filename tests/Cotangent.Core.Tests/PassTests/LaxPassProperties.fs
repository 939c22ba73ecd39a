/// The lax-level passes on random programs (ProgramGen) and their gradients: each pass alone and
/// the pipeline inline,dce,cse,simplify give bit for bit the interpreter's results of the program
/// before (NaN equal to NaN), and the verifier accepts every program after every pass. Each
/// sample gives three jaxprs: the program, the program with its first input closed over as a
/// constant (so folding fires), and grad of the sum of its outputs (pjit, `mul _ 1.0`).
module Cotangent.Core.Tests.LaxPassProperties

open System
open FsCheck.Xunit
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Backend
open Cotangent.Core.Tracing
open Cotangent.Core.Passes
open Cotangent.Core.Passes.PassTypes
open Cotangent.Core.Tests.ProgramRun
open Cotangent.Core.Tests.ProgramGen
module N = Cotangent.Core.Numpy
module A = Cotangent.Core.NumpyArrays

[<Literal>]
let Programs = 300

/// The jaxprs of a sample, each with its arguments.
let private cases (s: Sample) : (string * ClosedJaxpr<Prim> * NdArray list) list =
    let f = Program.toFunction s.Program
    let inputs = s.Inputs
    let args = inputs |> List.map Concrete
    let total (xs: Value list) = f xs |> List.map (A.sum None false) |> List.reduce N.add
    [ "program", Api.makeJaxpr f args, inputs
      "program closed over its first input", Api.makeJaxpr (fun xs -> f (args.Head :: xs)) args.Tail, inputs.Tail
      "grad", Api.makeJaxpr (fun xs -> Api.grad total [ 0 .. inputs.Length - 1 ] xs) args, inputs ]

let private sameBits (a: NdArray) (b: NdArray) =
    a.Aval = b.Aval
    && Array.forall2 (fun (x: float) (y: float) -> BitConverter.DoubleToInt64Bits x = BitConverter.DoubleToInt64Bits y || (Double.IsNaN x && Double.IsNaN y))
        (NdArray.toFloats a) (NdArray.toFloats b)

let private verified (what: string) (closed: ClosedJaxpr<Prim>) =
    match LaxVerify.verify closed.Jaxpr with
    | [] -> if closed.Jaxpr.ConstVars.Length <> closed.Consts.Length then failwith $"{what}: constvars and consts disagree"
    | problems -> failwith $"{what}: the verifier rejects\n{LaxText.print closed.Jaxpr}\n{String.Join('\n', problems)}"

/// Every case of `s` through `passes` in order: verified after each, results bit for bit the same.
let private preserves (passes: (string * (ClosedJaxpr<Prim> -> ClosedJaxpr<Prim> * Stats)) list) (s: Sample) =
    for name, closed, args in cases s do
        let expected = Interpreter.evalJaxpr closed.Jaxpr closed.Consts args
        let after =
            passes |> List.fold (fun c (pass, run) ->
                let next, _ = run c
                verified $"{name} after {pass}" next
                next) closed
        let actual = Interpreter.evalJaxpr after.Jaxpr after.Consts args
        List.iteri2 (fun i e a ->
            if not (sameBits e a) then
                failwith $"{name}: output {i} differs after {String.Join(',', List.map fst passes)}\nbefore:\n{LaxText.print closed.Jaxpr}\nafter:\n{LaxText.print after.Jaxpr}")
            expected actual

[<Property(MaxTest = Programs, Arbitrary = [| typeof<Generators> |])>]
let ``inline preserves results and leaves no pjit`` (s: Sample) =
    preserves [ "inline", Inline.inlineCalls ] s
    for name, closed, _ in cases s do
        let after, _ = Inline.inlineCalls closed
        if after.Jaxpr.Eqns |> List.exists (fun e -> not (Lax.regions e.Op).IsEmpty) then failwith $"{name}: a pjit is left"

[<Property(MaxTest = Programs, Arbitrary = [| typeof<Generators> |])>]
let ``dce preserves results`` (s: Sample) = preserves [ "dce", Dce.dce ] s

[<Property(MaxTest = Programs, Arbitrary = [| typeof<Generators> |])>]
let ``cse preserves results and is idempotent`` (s: Sample) =
    preserves [ "cse", Cse.cse ] s
    for name, closed, _ in cases s do
        let once, _ = Cse.cse closed
        let twice, stats = Cse.cse once
        if stats.Head.Value <> 0 || LaxText.print once.Jaxpr <> LaxText.print twice.Jaxpr then failwith $"{name}: a second cse changes the program"

[<Property(MaxTest = Programs, Arbitrary = [| typeof<Generators> |])>]
let ``simplify preserves results`` (s: Sample) = preserves [ "simplify", Simplify.simplify ] s

[<Property(MaxTest = Programs, Arbitrary = [| typeof<Generators> |])>]
let ``the pipeline inline,dce,cse,simplify preserves results`` (s: Sample) =
    preserves [ "inline", Inline.inlineCalls; "dce", Dce.dce; "cse", Cse.cse; "simplify", Simplify.simplify ] s
