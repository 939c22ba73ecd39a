/// The kernel dialect's generic form (KernelGeneric): a small fused program prints as written;
/// on random fused programs, their gradients and programs with consts, print then parse is the
/// identity, the parsed program verifies and computes bitwise what the original computes; bad
/// fusions get an error at their line and column; mutated text never makes the reader throw.
module Cotangent.Core.Tests.KernelGenericTests

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Tracing
open Cotangent.Core.Tests.JaxprTextTests
open Cotangent.Core.Tests.ProgramGen
open Cotangent.Core.Tests.ProgramRun
open Cotangent.Core.Tests.GenericIrTests
module N = Cotangent.Core.Numpy
module A = Cotangent.Core.NumpyArrays

let private parsed (text: string) = readWith KernelGeneric.parse text
let private errorOf (text: string) = errorWith KernelGeneric.parse text

/// The lax program after the default pipeline's lax passes, then fused.
let private fused (closed: ClosedJaxpr<Lax.Prim>) : ClosedJaxpr<Kernel.Op> =
    closed
    |> Passes.Inline.inlineCalls |> fst
    |> Passes.Dce.dce |> fst
    |> Passes.Cse.cse |> fst
    |> Passes.Simplify.simplify |> fst
    |> Passes.Fuse.run |> fst

let private f32 (shape: int[]) = NdArray.ofFloat32 shape (Array.init (Shape.size shape) (fun i -> float32 i * 0.25f + 0.5f))

/// sum(sin x * y, axis 1) (an input fusion reading y through a broadcasting view), its dot with
/// itself (a lax op between kernels), and exp of that (a loop fusion).
let private small () =
    let f (args: Value list) = [ N.exp (A.dot (A.sum (Some [ 1 ]) false (N.multiply (N.sin args[0]) args[1])) args[2]) ]
    fused (Api.makeJaxpr f [ Concrete(f32 [| 2; 3 |]); Concrete(f32 [| 3 |]); Concrete(f32 [| 2 |]) ])

let private smallText () = KernelGeneric.print (small ())

[<Fact>]
let ``a small fused program prints in generic form`` () =
    let expected =
        lines
            [ "kernel.func @main(%0: f32[2,3], %1: f32[3], %2: f32[2]) -> (f32[]) {"
              "  %3 = kernel.fusion %0, %1 {name = \"fusion.0\", kind = \"reduce_sum\", axes = [1], space = [2, 3], views = [[0, [3, 1]], [0, [0, 1]]]} ({"
              "    ^region(%4: f32[], %5: f32[]):"
              "      %6 = lax.sin %4 : f32[]"
              "      %7 = lax.mul %6, %5 : f32[]"
              "      lax.return %7"
              "  }) : f32[2]"
              "  %8 = lax.dot_general %3, %2 {dimension_numbers = [[[0], [0]], [[], []]], preferred_element_type = f32} : f32[]"
              "  %9 = kernel.fusion %8 {name = \"fusion.1\", kind = \"loop\", space = [], views = [[0, []]]} ({"
              "    ^region(%10: f32[]):"
              "      %11 = lax.exp %10 : f32[]"
              "      lax.return %11"
              "  }) : f32[]"
              "  lax.return %9"
              "}" ]
    let k = small ()
    Assert.Equal(expected, KernelGeneric.print k)
    Assert.Equal(expected, KernelGeneric.print (parsed expected))
    Assert.Equal(expected, Jit.hooks.Print PassManager.Ir (Jit.KernelModule k))

// ---------------------------------------------------------------------------------------------
// Round trips: the same text, a verified program, bitwise the same results.

let private roundTrips (k: ClosedJaxpr<Kernel.Op>) (inputs: NdArray list) =
    let text = KernelGeneric.print k
    let back = parsed text
    Assert.Equal(text, KernelGeneric.print back)
    Assert.Empty(Kernel.verify back.Jaxpr)
    sameValues k.Consts back.Consts
    sameValues (Kernel.eval k inputs) (Kernel.eval back inputs)

/// A sample's program, its gradient and the program with its first input a const, as lax.
let private programs (s: Sample) =
    let f = Program.toFunction s.Program
    let args = s.Inputs |> List.map Concrete
    let closed = Api.makeJaxpr f args
    let total xs = f xs |> List.map (A.sum None false) |> List.reduce N.add
    let consted, rest = withConsts 1 closed s.Inputs
    [ closed, s.Inputs; Api.makeJaxpr (Api.grad total [ 0 .. args.Length - 1 ]) args, s.Inputs; consted, rest ]

[<Property(MaxTest = 300, Arbitrary = [| typeof<Generators> |])>]
let ``print then parse is the identity on fused random programs, their gradients and programs with consts`` (s: Sample) =
    for closed, inputs in programs s do
        roundTrips (fused closed) inputs

// ---------------------------------------------------------------------------------------------
// Errors, with their positions.

let private errorAt (line: int, column: int) (message: string) (text: string) =
    let e = errorOf text
    Assert.Equal((line, column, message), (e.Line, e.Column, e.Message))

[<Fact>]
let ``an unknown kind, a view too few, a wrong result type and an unknown op are reported where they stand`` () =
    let text = smallText ()
    text.Replace("kind = \"loop\"", "kind = \"gather\"")
    |> errorAt (9, 52) "expected a fusion kind (\"loop\", \"reduce_sum\", \"reduce_prod\", \"reduce_max\", \"reduce_min\") for param 'kind' of kernel.fusion, found gather"
    text.Replace("views = [[0, [3, 1]], [0, [0, 1]]]", "views = [[0, [3, 1]]]")
    |> errorAt (2, 106) "fusion.0: 2 inputs, 1 views and 2 body inputs"
    text.Replace("views = [[0, [3, 1]], [0, [0, 1]]]", "views = [[0, [3, 1]], [0, [1]]]")
    |> errorAt (2, 106) "fusion.0: view [1] has 1 strides for a 2-d space"
    text.Replace("  }) : f32[2]", "  }) : f32[3]")
    |> errorAt (2, 3) "expected '%3' to have type f32[2] (kernel.fusion of f32[2,3], f32[3]), found f32[3]"
    text.Replace("  }) : f32[2]", "  }) : i32[2]")
    |> errorAt (2, 3) "expected '%3' to have type f32[2] (kernel.fusion of f32[2,3], f32[3]), found i32[2]"
    text.Replace("  }) : f32[2]", "  }) : f32[2], f32[2]")
    |> errorAt (2, 3) "expected 1 result(s) (f32[2]: kernel.fusion of f32[2,3], f32[3]), found 1 named and 2 typed"
    let e = errorOf (text.Replace("%3 = kernel.fusion", "%3 = kernel.fission"))
    Assert.Equal((2, 8), (e.Line, e.Column))
    Assert.StartsWith("unknown op 'kernel.fission' (supported: kernel.fusion, lax.constant, lax.return and lax. followed by one of neg,", e.Message)

[<Fact>]
let ``a fusion's kind, axes, space, body and func keyword are checked`` () =
    let text = smallText ()
    text.Replace("kind = \"loop\"", "kind = \"loop\", axes = [0]") |> errorAt (9, 67) "a loop fusion takes no axes"
    text.Replace(", axes = [1]", "") |> errorAt (2, 8) "a reduce_sum fusion needs attribute 'axes' (a list of integers)"
    text.Replace("axes = [1]", "axes = [2]") |> errorAt (2, 90) "fusion.0: reduce_sum: axis 2 is out of range for an operand of rank 2 (f32[2,3]); expected 0 <= axis < 2"
    text.Replace("views = [[0, [3, 1]], [0, [0, 1]]]", "views = [[0, [3, 1]], [1, [0, 1]]]")
    |> errorAt (2, 106) "fusion.0: view 1+[0,1] over (2, 3) leaves an input of f32[3]"
    text.Replace("^region(%10: f32[])", "^region(%10: i32[])") |> errorAt (11, 13) "exp: does not accept dtype int32 (got i32[]); expected a floating dtype (float32 or float64)"
    text.Replace("%7 = lax.mul %6, %5 : f32[]", "%7 = lax.mul %6, %5 : f32[]\n      %70 = lax.constant dense<[1.0]> : f32[]")
    |> errorAt (2, 134) "expected a fusion body without lax.constant (a kernel reads every array as an operand)"
    text.Replace("space = [2, 3]", "space = [2, -3]") |> errorAt (2, 90) "fusion.0: space (2, -3) has a negative size"
    text.Replace("kernel.func", "lax.func") |> errorAt (1, 1) "expected 'kernel.func', found 'lax.func'"
    text.Replace("space = [2, 3]", "space = [2, 3], shape = [6]") |> errorAt (2, 98) "unknown param 'shape' for kernel.fusion (it takes: axes, kind, name, space, views)"

// ---------------------------------------------------------------------------------------------
// Fuzz: mutated kernel text (deleted, inserted, duplicated and swapped tokens and characters).

let private corpus =
    lazy (
        Gen.sampleWithSeed (Rnd 17UL) 10 30 sampleGen
        |> Array.toList
        |> List.collect (fun s -> programs s |> List.map (fst >> fused >> KernelGeneric.print))
        |> fun texts -> Array.ofList (smallText () :: texts))

let private vocabulary =
    [| "{"; "}"; "("; ")"; "["; "]"; ":"; ","; "="; "%"; "%0"; "%99"; "-1"; "0"; "3"; " "; "\n"; "^region"; "f32[]"; "f32[3]"
       "{weak}"; "1.0:f32[]"; "kernel.fusion"; "kernel.func"; "lax.func"; "lax.return"; "lax.exp"; "\"loop\""; "\"reduce_max\""
       "\"fusion.9\""; "axes = [0]"; "space = [2]"; "views = []"; "[0, [1]]"; "[1, [0, 1]]"; "({ ^region(): lax.return })"
       "%5 = lax.constant dense<[1.0]> : f32[]" |]

type KernelMutants =
    static member Mutant() : Arbitrary<Mutant> = Arb.fromGen (mutantOf corpus.Value vocabulary)

[<Property(MaxTest = 10000, Arbitrary = [| typeof<KernelMutants> |])>]
let ``the kernel reader never throws on mutated text: it reads a verified program or names a line and column`` (m: Mutant) =
    match KernelGeneric.parse m.Text with
    | Ok closed ->
        Assert.Empty(Kernel.verify closed.Jaxpr)
        let printed = KernelGeneric.print closed
        Assert.Equal(printed, KernelGeneric.print (parsed printed))
    | Error e -> assertPositioned m.Text e
