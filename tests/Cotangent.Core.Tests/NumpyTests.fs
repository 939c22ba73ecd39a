/// jnp semantics beyond promotion: logical ops on non-bools, integer floor/ceil/round and
/// unsigned abs are what jax.numpy makes of them.
module Cotangent.Core.Tests.NumpyTests

open Xunit
open Cotangent.Core
open Cotangent.Core.Tracing
module N = Cotangent.Core.Numpy

let values (v: Value) =
    match v with
    | Concrete a -> a.Aval.DType, NdArray.toFloats a
    | Traced _ -> failwith "expected a concrete result"

[<Fact>]
let ``logical ops compare non-bool operands with zero`` () =
    let x = Concrete(NdArray.ofFloat32 [| 3 |] [| 0.0f; 2.0f; -1.0f |])
    let y = Concrete(NdArray.ofInt32 [| 3 |] [| 1; 0; 5 |])
    Assert.Equal((Bool, [| 0.0; 0.0; 1.0 |]), values (N.logicalAnd x y))
    Assert.Equal((Bool, [| 1.0; 1.0; 1.0 |]), values (N.logicalOr x y))
    Assert.Equal((Bool, [| 1.0; 0.0; 0.0 |]), values (N.logicalNot x))

[<Fact>]
let ``floor, ceil and round leave integers alone`` () =
    let i = Concrete(NdArray.ofInt32 [| 2 |] [| -3; 4 |])
    for f in [ N.floor; N.ceil; N.round ] do
        Assert.Equal((I32, [| -3.0; 4.0 |]), values (f i))
    Assert.Equal((F32, [| -2.0; 2.0 |]), values (N.round (Concrete(NdArray.ofFloat32 [| 2 |] [| -2.5f; 2.5f |]))))

[<Fact>]
let ``abs of unsigned and bool values is the identity`` () =
    let u = Concrete(NdArray.ofUInt32 [| 2 |] [| 3u; 7u |])
    Assert.Equal((U32, [| 3.0; 7.0 |]), values (N.absolute u))
    Assert.Equal((I32, [| 3.0; 7.0 |]), values (N.absolute (Concrete(NdArray.ofInt32 [| 2 |] [| -3; 7 |]))))
