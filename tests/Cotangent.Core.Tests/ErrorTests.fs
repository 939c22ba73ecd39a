/// Bad input is a feature: each error names the primitive, the avals or dtypes, what was
/// expected, and the user's call site (this file and line); a failed trace leaves no state.
module Cotangent.Core.Tests.ErrorTests

open Xunit
open Cotangent.Core
open Cotangent.Core.Tracing
module N = Cotangent.Core.Numpy
module A = Cotangent.Core.NumpyArrays
module L = Cotangent.Core.LaxOps

let array (shape: int list) = Concrete(NdArray.full F32 (Array.ofList shape) 1.0)

/// Asserts the exception names every fragment and points at this file and `line`.
let check (line: string) (fragments: string list) (ex: CotangentException) =
    for f in fragments do
        Assert.Contains(f, ex.Message)
    Assert.True(ex.CallSite.IsSome, $"no call site in: {ex.Message}")
    Assert.EndsWith("ErrorTests.fs", ex.CallSite.Value.File)
    Assert.Equal(int line, ex.CallSite.Value.Line)
    Assert.Contains($"ErrorTests.fs:{line}", ex.Message)

[<Fact>]
let ``add of mismatched shapes names add, both shapes and the call site`` () =
    let line, ex = __LINE__, Assert.Throws<CotangentException>(fun () -> N.add (array [ 3 ]) (array [ 4 ]) |> ignore)
    check line [ "add"; "f32[3]"; "f32[4]"; "broadcasting" ] ex

[<Fact>]
let ``a reduction over a bad axis names the primitive, the axis and the shape`` () =
    let line, ex = __LINE__, Assert.Throws<CotangentException>(fun () -> A.sum (Some [ 2 ]) false (array [ 2; 3 ]) |> ignore)
    check line [ "reduce_sum"; "axis 2"; "f32[2,3]"; "dimension 2" ] ex

[<Fact>]
let ``lax reduce_sum rejects an out-of-range axis`` () =
    let line, ex = __LINE__, Assert.Throws<CotangentException>(fun () -> L.reduceSum [ 1 ] (array [ 3 ]) |> ignore)
    check line [ "reduce_sum"; "axis 1"; "f32[3]" ] ex

[<Fact>]
let ``dot_general with mismatched contracting dimensions names both shapes`` () =
    let line, ex = __LINE__, Assert.Throws<CotangentException>(fun () -> A.dot (array [ 2; 3 ]) (array [ 4; 5 ]) |> ignore)
    check line [ "dot_general"; "contracting"; "f32[2,3]"; "f32[4,5]"; "(3,)"; "(4,)" ] ex

[<Fact>]
let ``reshape to a different size names both sizes`` () =
    let line, ex = __LINE__, Assert.Throws<CotangentException>(fun () -> A.reshape [ 4 ] (array [ 2; 3 ]) |> ignore)
    check line [ "reshape"; "f32[2,3]"; "(4,)"; "6 elements"; "4 elements" ] ex

[<Fact>]
let ``lax add of float32 and int32 names both dtypes`` () =
    let i = Concrete(NdArray.full I32 [| 3 |] 1.0)
    let line, ex = __LINE__, Assert.Throws<CotangentException>(fun () -> L.add (array [ 3 ]) i |> ignore)
    check line [ "add"; "float32"; "int32"; "same dtypes" ] ex

[<Fact>]
let ``exp of an integer array names the dtype and what was expected`` () =
    let i = Concrete(NdArray.full I32 [| 3 |] 1.0)
    let line, ex = __LINE__, Assert.Throws<CotangentException>(fun () -> L.exp i |> ignore)
    check line [ "exp"; "int32"; "floating" ] ex

[<Fact>]
let ``errors while tracing carry the call site and leave no trace behind`` () =
    let f (args: Value list) = [ N.add args[0] (array [ 4 ]) ]
    let line, ex = __LINE__, Assert.Throws<CotangentException>(fun () -> Api.makeJaxpr f [ array [ 3 ] ] |> ignore)
    Assert.Contains("add", ex.Message)
    Assert.Contains("f32[3]", ex.Message)
    Assert.True(ex.CallSite.IsSome)
    ignore line
    // the staging trace is gone: eager ops are concrete again and a new trace starts afresh
    match N.add (array [ 3 ]) (array [ 3 ]) with
    | Concrete _ -> ()
    | Traced _ -> failwith "a tracer leaked out of a failed trace"
    let again = Api.makeJaxpr (fun args -> [ N.sin args[0] ]) [ array [ 3 ] ]
    Assert.Equal("{ lambda ; a:f32[3]. let b:f32[3] = sin a in (b,) }", Dialects.LaxText.print again.Jaxpr)

[<Fact>]
let ``a tracer that escapes its trace is an error, not a silent wrong answer`` () =
    let mutable leaked = None
    Api.makeJaxpr (fun args -> leaked <- Some args[0]; [ N.sin args[0] ]) [ array [ 3 ] ] |> ignore
    let ex = Assert.Throws<CotangentException>(fun () -> N.sin leaked.Value |> ignore)
    Assert.Contains("escaped", ex.Message)
