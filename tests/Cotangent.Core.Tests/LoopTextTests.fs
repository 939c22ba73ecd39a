/// The loop and vec dialects' text (Vec.print, LoopText.parse): a row sum prints as written at
/// both stages; print then parse is the identity on random programs after lower-to-loops and
/// after vectorize (same text, same types, bitwise the same results); bad text gets an error at
/// its line and column; mutated text never makes the reader throw.
module Cotangent.Core.Tests.LoopTextTests

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Loop
open Cotangent.Core.Dialects.Vec
open Cotangent.Core.Tracing
open Cotangent.Core.Tests.JaxprTextTests
open Cotangent.Core.Tests.ProgramGen
open Cotangent.Core.Tests.ProgramRun
open Cotangent.Core.Tests.GenericIrTests
module N = Cotangent.Core.Numpy
module A = Cotangent.Core.NumpyArrays

let private parsed = readWith LoopText.parse
let private errorOf = errorWith LoopText.parse

/// The lax program through the default pipeline up to lower-to-loops, and that vectorized and
/// contracted (vec.fma).
let private stages (closed: ClosedJaxpr<Lax.Prim>) : VecProgram * VecProgram =
    let run (m: Jit.Module) (name: string) = fst ((Jit.registry |> List.find (fun p -> p.Name = name)).Run m)
    match List.fold run (Jit.LaxModule closed) [ "inline"; "dce"; "cse"; "simplify"; "fuse"; "lower-to-loops" ] with
    | Jit.LoopModule p -> p, fst (Passes.FpContract.run (fst (Passes.Vectorize.run p)))
    | Jit.LaxModule _ | Jit.KernelModule _ -> failwith "lower-to-loops made no loop module"

let private rowSum () =
    let weights = Concrete(NdArray.ofFloat32 [| 10 |] (Array.init 10 (fun i -> float32 i * 0.5f)))
    let f (args: Value list) = [ A.sum (Some [ 1 ]) false (N.multiply (N.exp args[0]) weights) ]
    stages (Api.makeJaxpr f [ Concrete(NdArray.ofFloat32 [| 2; 10 |] (Array.zeroCreate 20)) ])

/// The signature, consts, fill and outer loop, the same at both stages.
let private rowSumHead =
    [ "loop.func @main(%arg0: f32[2,10] {id = 0}) -> (%res0: f32[2] {id = 2}) {"
      "  %cst1 = loop.const dense<[0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5]> : f32[1,10]"
      "  loop.fill 0.0:f32[], %res0"
      "  loop.for %0 = 0 to 2 step 1 : i32[] {" ]

[<Fact>]
let ``a row sum prints as written at the loop stage`` () =
    let expected =
        lines
            (rowSumHead
             @ [ "    %1 = loop.for %2 = 0 to 10 step 1 iter_args(%3 = 0.0:f32[]) -> (f32[]) : i32[] {"
                 "      %4 = loop.load %arg0[10*%0 + %2] : f32[]"
                 "      %5 = loop.load %cst1[%2] : f32[]"
                 "      %6 = lax.exp %4 : f32[]"
                 "      %7 = lax.mul %6, %5 : f32[]"
                 "      %8 = lax.add %3, %7 : f32[]"
                 "      loop.yield %8"
                 "    }"
                 "    loop.accumulate[sum] %1, %res0[%0]"
                 "  }"
                 "}" ])
    let loops, _ = rowSum ()
    Assert.Equal(expected, Vec.print loops)
    Assert.Equal(expected, Vec.print (parsed expected))

[<Fact>]
let ``a row sum prints as written at the vec stage: a vector loop, its reduction and a scalar tail`` () =
    // fp-contract fused the vector loop's multiply into its add (the scalar tail keeps both)
    let expected =
        lines
            (rowSumHead
             @ [ "    %1 = loop.for %2 = 0 to 8 step 8 iter_args(%3 = 0.0:f32[]) -> (f32[8]) : i32[] {"
                 "      %4 = vec.load %arg0[10*%0 + %2] : f32[8]"
                 "      %5 = vec.load %cst1[%2] : f32[8]"
                 "      %6 = lax.exp %4 : f32[8]"
                 "      %7 = vec.fma %6, %5, %3 : f32[8]"
                 "      loop.yield %7"
                 "    }"
                 "    %8 = vec.reduce[sum] %1 : f32[]"
                 "    %9 = lax.add 0.0:f32[], %8 : f32[]"
                 "    %10 = loop.for %11 = 8 to 10 step 1 iter_args(%12 = %9) -> (f32[]) : i32[] {"
                 "      %13 = loop.load %arg0[10*%0 + %11] : f32[]"
                 "      %14 = loop.load %cst1[%11] : f32[]"
                 "      %15 = lax.exp %13 : f32[]"
                 "      %16 = lax.mul %15, %14 : f32[]"
                 "      %17 = lax.add %12, %16 : f32[]"
                 "      loop.yield %17"
                 "    }"
                 "    loop.accumulate[sum] %10, %res0[%0]"
                 "  }"
                 "}" ])
    let _, vec = rowSum ()
    Assert.Equal(expected, Vec.print vec)
    Assert.Equal(expected, Vec.print (parsed expected))

[<Fact>]
let ``params print as lax's typed attributes, on computes and calls, and temps with their slots`` () =
    let f (args: Value list) = [ N.square (A.dot (N.sin args[0]) args[1]) ]
    let loops, vec = stages (Api.makeJaxpr f [ Concrete(NdArray.ofFloat32 [| 3; 4 |] (Array.zeroCreate 12)); Concrete(NdArray.ofFloat32 [| 4; 5 |] (Array.zeroCreate 20)) ])
    let text = Vec.print loops
    Assert.Contains("loop.call @dot_general(%buf3, %arg1) {dimension_numbers = [[[1], [0]], [[], []]], preferred_element_type = f32} -> (%buf4)", text)
    Assert.Contains("lax.integer_pow %", text)
    Assert.Contains(" {y = 2} : f32[]", text)
    Assert.Contains("%buf3 = loop.alloc {slot = 0} : f32[3,4]", text)
    for p in [ loops; vec ] do
        Assert.Equal(Vec.print p, Vec.print (parsed (Vec.print p)))

// ---------------------------------------------------------------------------------------------
// Round trips: the same text, the same types, bitwise the same results.

/// The type of every value a program binds, in binding order.
let private binders (p: VecProgram) : string list =
    let types = ResizeArray<string>()
    let add (v: Var) = types.Add(LaxGeneric.typeText v.Aval)
    iterStmts (fun s ->
        match s with
        | For l ->
            add l.Iv
            List.iter (fst >> add) l.Carried
            List.iter add l.Results
        | Load(dst, _, _) | Compute(dst, _, _) -> add dst
        | Ext(VLoad(dst, _, _) | VGather(dst, _, _, _) | VSplat(dst, _) | VReduce(dst, _, _) | VFma(dst, _, _, _)) -> add dst
        | Ext(VStore _) | Store _ | Accum _ | Fill _ | Call _ -> ()) p.Body
    List.ofSeq types

let private constValues (p: VecProgram) =
    p.Consts |> List.choose (fun b -> match b.Kind with Const c -> Some c | Arg _ | Result _ | Temp _ | View _ -> None)

let private roundTrips (loopStage: bool) (p: VecProgram) (inputs: NdArray list) =
    let text = Vec.print p
    let back = parsed text
    Assert.Equal(text, Vec.print back)
    Assert.Empty(Vec.verify loopStage back)
    Assert.Equal<string list>(binders p, binders back)
    sameValues (constValues p) (constValues back)
    let run (q: VecProgram) = (Backend.Runtime.compile q).Run inputs
    sameValues (run p) (run back)

[<Property(MaxTest = 150, Arbitrary = [| typeof<Generators> |])>]
let ``print then parse is the identity after lower-to-loops and after vectorize, on random programs and their gradients`` (s: Sample) =
    let f = Program.toFunction s.Program
    let args = s.Inputs |> List.map Concrete
    let total xs = f xs |> List.map (A.sum None false) |> List.reduce N.add
    for closed in [ Api.makeJaxpr f args; Api.makeJaxpr (Api.grad total [ 0 .. args.Length - 1 ]) args ] do
        let loops, vec = stages closed
        roundTrips true loops s.Inputs
        roundTrips false vec s.Inputs

// ---------------------------------------------------------------------------------------------
// Errors, with their positions (in the loop-stage row sum above).

let private rowSumText () = Vec.print (fst (rowSum ()))

let private errorAt (line: int, column: int) (message: string) (text: string) =
    let e = errorOf text
    Assert.Equal(message, e.Message)
    Assert.Equal((line, column), (e.Line, e.Column))

[<Fact>]
let ``an undeclared buffer is reported at its name`` () =
    errorAt (7, 22) "buffer '%cst7' is not declared" ((rowSumText ()).Replace("loop.load %cst1", "loop.load %cst7"))
    errorAt (2, 3) "expected a buffer id no other buffer has, found 0 (that of '%arg0')" ((rowSumText ()).Replace("%cst1", "%cst0"))

[<Fact>]
let ``a type the rules disagree with is reported at the value`` () =
    let text = rowSumText ()
    errorAt (7, 7) "expected '%5' to have a scalar type of %cst1's dtype f32, found i32[]" (text.Replace("%cst1[%2] : f32[]", "%cst1[%2] : i32[]"))
    errorAt (9, 7) "expected '%7' to have type f32[] (lax.mul of f32[], f32[]), found f64[]" (text.Replace("%6, %5 : f32[]", "%6, %5 : f64[]"))
    errorAt (5, 5) "expected as many results as carried values (1), found 0" (text.Replace("%1 = loop.for", "loop.for").Replace("[sum] %1,", "[sum] 1.0:f32[],"))
    errorAt (6, 36) "expected an i32[] index in the address, found one of type f32[]" (text.Replace("[10*%0 + %2]", "[10*%0 + %3]"))
    let e = errorOf (text.Replace("%8 = lax.add %3, %7", "%8 = lax.add %3, %0"))
    Assert.Equal((10, 12), (e.Line, e.Column))
    Assert.Contains("add: requires arguments to have the same dtypes", e.Message)

[<Fact>]
let ``an unknown op is reported where it stands`` () =
    let e = errorOf ((rowSumText ()).Replace("lax.exp", "lax.foo"))
    Assert.Equal((8, 12), (e.Line, e.Column))
    Assert.StartsWith("unknown op 'lax.foo' (supported: loop.for, ", e.Message)
    errorAt (13, 21) "expected a combiner (sum, prod, max or min), found 'mean'" ((rowSumText ()).Replace("[sum]", "[mean]"))

[<Fact>]
let ``a vec.fma with a wrong operand count or type is reported at the op`` () =
    let text = Vec.print (snd (rowSum ()))
    errorAt (9, 20) "expected three operands of vec.fma (a, b, c: a * b + c), found 2" (text.Replace("vec.fma %6, %5, %3", "vec.fma %6, %5"))
    errorAt (9, 7) "expected the operands of '%7' to be f32[8] vectors or f32 literals, found f32[8], f32[8], f64[]" (text.Replace("vec.fma %6, %5, %3", "vec.fma %6, %5, 1.0:f64[]"))
    errorAt (9, 7) "expected '%7' to have a float vector type, found i32[8]" (text.Replace("vec.fma %6, %5, %3 : f32[8]", "vec.fma %6, %5, %3 : i32[8]"))

[<Fact>]
let ``a loop.view reads its source's storage from the offset, and must lie inside it`` () =
    let text (offset: int) =
        lines
            [ "loop.func @main(%arg0: f32[4] {id = 0}) -> (%res0: f32[2] {id = 1}) {"
              $"  %%buf2 = loop.view %%arg0[{offset}] : f32[2]"
              "  loop.for %0 = 0 to 2 step 1 : i32[] {"
              "    %1 = loop.load %buf2[%0] : f32[]"
              "    loop.store %1, %res0[%0]"
              "  }"
              "}" ]
    let p = parsed (text 1)
    Assert.Equal(text 1, Vec.print p)
    Assert.Empty(Vec.verify true p)
    let got = (Backend.Runtime.compile p).Run [ NdArray.ofFloat32 [| 4 |] [| 10f; 11f; 12f; 13f |] ] |> List.head |> NdArray.toFloats
    Assert.Equal<float[]>([| 11.0; 12.0 |], got)
    errorAt (2, 3) "expected '%buf2' (f32[2] at offset 3) to lie inside '%arg0' (f32[4])" (text 3)

[<Fact>]
let ``unbalanced braces, a stray yield and deep nesting are errors, not exceptions`` () =
    let text = rowSumText ()
    errorAt (15, 1) "expected a statement or '}', found end of input" (text.Substring(0, text.Length - 1))
    errorAt (16, 1) "expected end of input after the function, found '}'" (text + "\n}")
    errorAt (15, 3) "expected a statement or '}', found 'loop.yield' outside a loop" (text.Substring(0, text.Length - 1) + "  loop.yield 1.0:f32[]\n}")
    errorAt (11, 5) "expected 1 yielded value(s), one per carried value, found 0" (text.Replace("      loop.yield %8\n", ""))
    let loops = String.Join("\n", List.init 10000 (fun i -> $"loop.for %%{i} = 0 to 1 step 1 : i32[] {{"))
    let e = errorOf ("loop.func @main() -> () {\n" + loops)
    Assert.Equal("loops nest deeper than 64", e.Message)
    Assert.Equal((66, 1), (e.Line, e.Column)) // the 65th loop (line 1 is the header)

// ---------------------------------------------------------------------------------------------
// Fuzz: mutated loop and vec text (deleted, inserted, duplicated and swapped tokens and characters).

let private corpus =
    lazy (
        Gen.sampleWithSeed (Rnd 17UL) 10 24 sampleGen
        |> Array.toList
        |> List.collect (fun s ->
            let args = s.Inputs |> List.map Concrete
            let loops, vec = stages (Api.makeJaxpr (Program.toFunction s.Program) args)
            [ Vec.print loops; Vec.print vec ])
        |> fun texts -> Array.ofList (rowSumText () :: Vec.print (snd (rowSum ())) :: texts))

let private vocabulary =
    [| "{"; "}"; "("; ")"; "["; "]"; ":"; ","; "="; "%"; "%0"; "%99"; "%arg0"; "%res0"; "%cst1"; "%buf9"; "loop.for"; "loop.yield"
       "loop.load"; "loop.store"; "loop.call @exp"; "loop.fill"; "loop.accumulate[sum]"; "vec.load"; "vec.gather"; "vec.splat"
       "vec.reduce[max]"; "vec.store"; "lax.add"; "lax.foo"; "iter_args"; "parallel"; "step"; "to"; "stride"; "{id = 3}"
       "{slot = 0}"; "dense<[1.0]>"; "f32[8]"; "i32[]"; "{weak}"; "1.0:f32[]"; "2*"; "+"; "-1"; "99999999999"; "->"; " "; "\n"
       "{axes = [0]}"; "é" |]

type LoopMutants =
    static member Mutant() : Arbitrary<Mutant> = Arb.fromGen (mutantOf corpus.Value vocabulary)

[<Property(MaxTest = 10000, Arbitrary = [| typeof<LoopMutants> |])>]
let ``the loop reader never throws on mutated text: it reads it or names a line and column in the text`` (m: Mutant) =
    readsOrNamesAPosition LoopText.parse Vec.print (Vec.verify false) m.Text
