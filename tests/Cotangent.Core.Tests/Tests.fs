/// Tests of Core.fs and NdArray.fs that need no other module.
module Tests

open Xunit
open Cotangent.Core

[<Fact>]
let ``NdArray.create rejects a buffer whose length is not the shape's size`` () =
    let e = Assert.Throws<CotangentException>(fun () -> NdArray.ofFloat32 [| 2; 3 |] [| 1.0f |] |> ignore)
    Assert.Contains("(2, 3)", e.Message)
