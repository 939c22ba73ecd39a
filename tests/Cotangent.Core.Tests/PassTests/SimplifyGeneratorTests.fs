/// simplify's index-generator and select rules (SimplifyGenerators.fs) on small programs: a
/// column of eye becomes an iota compared with a constant, ops on a two-valued select are computed
/// on its two scalars, layout ops of iotas become iotas, and each result is bit for bit the
/// program's (NaN, ±inf and -0.0 included); transcendentals are left alone.
module Cotangent.Core.Tests.SimplifyGeneratorTests

open Xunit
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Passes
open Cotangent.Core.Tests.LaxPassTests

let private bits (a: NdArray) = NdArray.toFloats a |> Array.map System.BitConverter.DoubleToInt64Bits

/// simplify leaves the outputs bit for bit as they were on `args`.
let private same (before: ClosedJaxpr<Prim>) (after: ClosedJaxpr<Prim>) (args: NdArray list) =
    List.iter2 (fun x y -> Assert.Equal<int64[]>(bits x, bits y)) (eval before args) (eval after args)

let private i32 (shape: int list) = Aval.make I32 (Array.ofList shape)

/// eye(n) as JacFwd builds its basis: convert(eq(iota0, iota1)).
let private eye (app: Prim -> Atom list -> Atom) (n: int) =
    app (ConvertElementType(F32, false)) [ app Eq [ app (Iota(I32, [ n; n ], 0)) []; app (Iota(I32, [ n; n ], 1)) [] ] ]

[<Fact>]
let ``a column of eye becomes an iota compared with the column's index`` () =
    let closed =
        build [ f32 [ 4 ] ] [] (fun app _ xs ->
            let column = app (Squeeze [ 1 ]) [ app (Slice([ 0; 2 ], [ 4; 3 ], None)) [ eye app 4 ] ]
            [ app Mul [ column; xs[0] ] ])
    let after, _ = run Simplify.simplify closed
    let printed = raw after
    // no 4x4 array is left: one iota of the column's length, compared with 2
    Assert.DoesNotContain("[4,4]", printed)
    Assert.Equal(1, count "iota[dimension=0" printed)
    Assert.Contains("eq", printed)
    Assert.Contains("2", printed)
    same closed after [ NdArray.ofFloat32 [| 4 |] [| 1.5f; -0.0f; nanf; infinityf |] ]

[<Fact>]
let ``ops on a two-valued select are computed on its scalars`` () =
    // (convert(b) * x - x) / 2 over bool b: a select of two scalars computed outside the array
    let closed =
        build [ Aval.make Bool [| 5 |]; scalar ] [] (fun app _ xs ->
            let e = app (ConvertElementType(F32, false)) [ xs[0] ]
            [ app Div [ app Sub [ app Mul [ e; xs[1] ]; xs[1] ]; lit 2.0 ] ])
    let after, _ = run Simplify.simplify closed
    let printed = raw after
    Assert.Equal(1, count "select_n" printed)
    Assert.Equal(0, count "convert_element_type[new_dtype=float32" printed)
    // every arithmetic op is on scalars: no f32[5] operand but the two splats the select reads
    for line in printed.Split('\n') do
        if line.Contains " mul " || line.Contains " sub " || line.Contains " div " then Assert.Contains("f32[] =", line)
    let b = NdArray.create false [| 5 |] (BoolData [| true; false; true; false; false |])
    for x in [ 3.0; -0.0; nan; infinity; -infinity ] do
        same closed after [ b; NdArray.scalar F32 false x ]

[<Fact>]
let ``a select over two predicates, or a transcendental of one, is left as it is`` () =
    let closed =
        build [ Aval.make Bool [| 3 |]; Aval.make Bool [| 3 |] ] [] (fun app _ xs ->
            let e0 = app (ConvertElementType(F32, false)) [ xs[0] ]
            let e1 = app (ConvertElementType(F32, false)) [ xs[1] ]
            [ app Add [ e0; e1 ]; app Exp [ e0 ] ])
    let after, stats = run Simplify.simplify closed
    Assert.Equal(0, value "num-simplified" stats)
    Assert.Equal(text closed, text after)

[<Fact>]
let ``layout ops of an iota are iotas, scaled, offset or mirrored`` () =
    let closed =
        build [] [] (fun app _ _ ->
            let iota = app (Iota(I32, [ 10 ], 0)) []
            let grid = app (Iota(I32, [ 3; 4 ], 1)) []
            [ app (Slice([ 2 ], [ 10 ], Some [ 3 ])) [ iota ]
              app (Rev [ 0 ]) [ iota ]
              app (Transpose [ 1; 0 ]) [ grid ]
              app (ExpandDims [ 0 ]) [ grid ]
              app (Slice([ 0; 3 ], [ 3; 4 ], None)) [ grid ] ])
    let after, _ = run Simplify.simplify closed
    let printed = raw after
    Assert.Equal(0, count "slice" printed + count "rev" printed + count "transpose" printed + count "expand_dims" printed)
    same closed after []
    Assert.Equal<int64[]>(bits (NdArray.ofFloats I32 [| 3 |] [| 2.0; 5.0; 8.0 |]), bits (eval after []).Head)

[<Fact>]
let ``an add_any tree of pads folds at its root; an inner sum read twice is a root of its own`` () =
    let zero = lit 0.0
    let closed =
        build [ f32 [ 1 ]; f32 [ 1 ]; f32 [ 2 ] ] [] (fun app _ ins ->
            let a = app (Pad [ (3, 0, 0) ]) [ ins[0]; zero ]
            let b = app (Pad [ (2, 1, 0) ]) [ ins[1]; zero ]
            let c = app (Pad [ (0, 2, 0) ]) [ ins[2]; zero ]
            let ab = app AddAny [ a; b ]
            [ app AddAny [ c; ab ]; app Mul [ ab; ab ] ])
    let after, _ = run Simplify.simplify closed
    // a + b folds for the mul; the outer sum folds c with a + b's pieces
    Assert.Equal(2, count "concatenate[dimension=0]" (raw after))
    let args = [ NdArray.ofFloat32 [| 1 |] [| -0.0f |]; NdArray.ofFloat32 [| 1 |] [| 2.5f |]; NdArray.ofFloat32 [| 2 |] [| -0.0f; 1.0f |] ]
    same closed after args

[<Fact>]
let ``the scalars of folded selects keep their signed zeros apart`` () =
    // grad of sum(abs c): 1 + select(c >= 0, 1, 0) - select(c >= 0, 0, 1) folds to a select whose
    // false case is 1 + 0 + -1 = +0.0 and true case 2 + -0.0 = 2: splats of 0.0 and -0.0 are two
    let splat (app: Prim -> Atom list -> Atom) (v: float) = app (BroadcastInDim([ 2 ], [])) [ Lit(NdArray.scalar F64 false v) ]
    let closed =
        build [ Aval.make F64 [| 2 |] ] [] (fun app _ xs ->
            let e = app Ge [ xs[0]; Lit(NdArray.scalar F64 false 0.0) ]
            let k = app SelectN [ e; splat app 1.0; splat app 0.0 ]
            let l = app SelectN [ e; splat app 0.0; splat app 1.0 ]
            [ app AddAny [ app AddAny [ splat app 1.0; l ]; app Neg [ k ] ] ])
    let after, _ = run Simplify.simplify closed
    Assert.Equal(1, count "select_n" (raw after))
    same closed after [ NdArray.ofFloats F64 [| 2 |] [| 0.159516; -0.156027 |] ]
