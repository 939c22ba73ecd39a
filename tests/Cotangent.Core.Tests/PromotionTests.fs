/// JAX's type promotion with weak types (jax/_src/dtypes.py, x32 mode), checked against JAX's
/// table cell by cell, plus the lattice laws every cell must obey.
module Cotangent.Core.Tests.PromotionTests

open Xunit
open FsCheck.Xunit
open Cotangent.Core
module N = Cotangent.Core.Numpy

/// The table's row and column names: strong dtypes, then Python int (I) and float (F).
let kinds =
    [ "bool", Aval.scalar Bool
      "i32", Aval.scalar I32
      "u32", Aval.scalar U32
      "f32", Aval.scalar F32
      "f64", Aval.scalar F64
      "I", { Aval.scalar I32 with Weak = true }
      "F", { Aval.scalar F32 with Weak = true } ]
    |> Map.ofList

/// JAX's result (x64 off; our float64 arrays keep float64); `*` marks a weak result.
let table =
    [ "bool", [ "bool", "bool"; "i32", "i32"; "u32", "u32"; "f32", "f32"; "f64", "f64"; "I", "i32*"; "F", "f32*" ]
      "i32", [ "i32", "i32"; "u32", "i32"; "f32", "f32"; "f64", "f64"; "I", "i32"; "F", "f32*" ]
      "u32", [ "u32", "u32"; "f32", "f32"; "f64", "f64"; "I", "u32"; "F", "f32*" ]
      "f32", [ "f32", "f32"; "f64", "f64"; "I", "f32"; "F", "f32" ]
      "f64", [ "f64", "f64"; "I", "f64"; "F", "f64" ]
      "I", [ "I", "i32*"; "F", "f32*" ]
      "F", [ "F", "f32*" ] ]

let show (dtype: DType, weak: bool) = DType.shortName dtype + (if weak then "*" else "")

[<Fact>]
let ``result_type matches JAX's promotion table in both operand orders`` () =
    for row, cells in table do
        for col, expected in cells do
            Assert.Equal(expected, show (N.resultType [ kinds[row]; kinds[col] ]))
            Assert.Equal(expected, show (N.resultType [ kinds[col]; kinds[row] ]))

let kindGen = FsCheck.FSharp.Gen.elements (Map.toList kinds |> List.map snd)

[<Property>]
let ``promotion is idempotent and associative`` () =
    FsCheck.FSharp.Prop.forAll (FsCheck.FSharp.Arb.fromGen (FsCheck.FSharp.Gen.three kindGen)) (fun (a, b, c) ->
        let asAval (dtype, weak) = { Aval.scalar dtype with Weak = weak }
        N.resultType [ a; a ] = (a.DType, a.Weak && a.DType <> Bool)
        && N.resultType [ asAval (N.resultType [ a; b ]); c ] = N.resultType [ a; asAval (N.resultType [ b; c ]) ])
