/// vmap's contract at its edges: bad in_axes/out_axes are errors that name the argument, its
/// shape and the axis (JAX's wording where JAX has one); batched jaxprs print as JAX's do.
module Cotangent.Core.Tests.VmapErrorTests

open Xunit
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Tracing
open Cotangent.Core.Tests.JaxprTextTests
module L = Cotangent.Core.LaxOps

let private array (shape: int list) = Concrete(NdArray.full F32 (Array.ofList shape) 1.0)
let private add (xs: Value list) = [ L.add xs[0] xs[1] ]

/// Runs `body`, expecting a vmap error whose message holds every fragment and whose call site
/// is this file.
let private fails (fragments: string list) (body: unit -> Value list) =
    let ex = Assert.Throws<CotangentException>(fun () -> body () |> ignore)
    for f in fragments do
        Assert.Contains(f, ex.Message)
    Assert.True(ex.CallSite.IsSome, $"no call site in: {ex.Message}")
    Assert.EndsWith("VmapErrorTests.fs", ex.CallSite.Value.File)

[<Fact>]
let ``inconsistent sizes name each argument, its type, size and axis`` () =
    fails [ "vmap"; "inconsistent sizes"; "argument 0 of type f32[3,4] has size 3 along axis 0"; "argument 1 of type f32[4,5] has size 5 along axis 1" ]
        (fun () -> Api.vmap (fun xs -> [ L.add (L.transpose [ 1; 0 ] xs[0]) xs[1] ]) [ Some 0; Some 1 ] [ Some 0 ] [ array [ 3; 4 ]; array [ 4; 5 ] ])

[<Fact>]
let ``an in axis past the rank names the argument, the axis and the shape`` () =
    fails [ "vmap"; "argument 1"; "axis 2"; "cannot be mapped"; "rank of at least 3"; "f32[4,5]"; "(4, 5)" ]
        (fun () -> Api.vmap add [ Some 0; Some 2 ] [ Some 0 ] [ array [ 4; 5 ]; array [ 4; 5 ] ])

[<Fact>]
let ``a negative in axis past the rank is an error too`` () =
    fails [ "argument 0"; "axis -2"; "f32[3]" ] (fun () -> Api.vmap (fun xs -> xs) [ Some -2 ] [ Some 0 ] [ array [ 3 ] ])

[<Fact>]
let ``a scalar cannot be mapped`` () =
    fails [ "argument 0"; "axis 0"; "f32[]" ] (fun () -> Api.vmap (fun xs -> xs) [ Some 0 ] [ Some 0 ] [ array [] ])

[<Fact>]
let ``the wrong number of in_axes names both counts`` () =
    fails [ "len(in_axes)=1"; "len(args)=2"; "f32[3], f32[3]" ] (fun () -> Api.vmap add [ Some 0 ] [ Some 0 ] [ array [ 3 ]; array [ 3 ] ])

[<Fact>]
let ``the wrong number of out_axes names both counts`` () =
    fails [ "len(out_axes)=2"; "len(outputs)=1" ] (fun () -> Api.vmap add [ Some 0; None ] [ Some 0; Some 0 ] [ array [ 3 ]; array [ 3 ] ])

[<Fact>]
let ``no mapped argument is an error`` () =
    fails [ "in_axes must have at least one non-None value"; "f32[3], f32[3]" ] (fun () -> Api.vmap add [ None; None ] [ Some 0 ] [ array [ 3 ]; array [ 3 ] ])

[<Fact>]
let ``a batched output with out_axes None is an error`` () =
    fails [ "output 0"; "out_axes[0] is None"; "f32[2,3]" ] (fun () -> Api.vmap add [ Some 0; None ] [ None ] [ array [ 2; 3 ]; array [ 3 ] ])

[<Fact>]
let ``an out axis past the output's rank is an error`` () =
    fails [ "out_axes[0] = 3"; "output 0"; "rank 2" ] (fun () -> Api.vmap add [ Some 0; None ] [ Some 3 ] [ array [ 2; 3 ]; array [ 3 ] ])

[<Fact>]
let ``dynamic_slice at per-example indices slices each example at its own start`` () =
    // x[i] for i per example, clamped into range as lax clamps it
    let f (xs: Value list) = [ L.dynamicSlice [ 2 ] xs[0] [ xs[1] ] ]
    let x = Concrete(NdArray.ofFloat32 [| 5 |] [| 0.0f; 1.0f; 2.0f; 3.0f; 4.0f |])
    let i = Concrete(NdArray.ofInt32 [| 4 |] [| 0; 2; 4; -1 |])
    match Api.vmap f [ None; Some 0 ] [ Some 0 ] [ x; i ] with
    | [ Concrete out ] ->
        Assert.Equal<int[]>([| 4; 2 |], out.Aval.Shape)
        Assert.Equal<float[]>([| 0.0; 1.0; 2.0; 3.0; 3.0; 4.0; 0.0; 1.0 |], NdArray.toFloats out)
    | _ -> failwith "expected one concrete output"

[<Fact>]
let ``an unbatched output with out_axes None is passed through`` () =
    let outs = Api.vmap (fun xs -> [ L.sin xs[1] ]) [ Some 0; None ] [ None ] [ array [ 2; 3 ]; array [ 4 ] ]
    Assert.Equal<int[]>([| 4 |], (Value.aval outs.Head).Shape)

[<Fact>]
let ``vmap leaves no trace state behind after an error`` () =
    Assert.Throws<CotangentException>(fun () -> Api.vmap add [ Some 0; Some 0 ] [ Some 0 ] [ array [ 2; 3 ]; array [ 2; 4 ] ] |> ignore) |> ignore
    match L.add (array [ 3 ]) (array [ 3 ]) with
    | Concrete _ -> ()
    | Traced _ -> failwith "a tracer leaked out of a failed vmap"

// Golden jaxprs: jax.make_jaxpr(jax.vmap(f, in_axes))(...) in JAX prints the same equations.

[<Fact>]
let ``an unmapped operand gets a leading size-1 axis and the unbatched work stays unbatched`` () =
    // jax.make_jaxpr(jax.vmap(lambda x, y: lax.add(x, lax.sin(y)), in_axes=(0, None)))(ones((3, 4)), ones(4))
    let f (xs: Value list) = [ L.add xs[0] (L.sin xs[1]) ]
    let expected =
        lines
            [ "{ lambda ; a:f32[3,4] b:f32[4]. let"
              "    c:f32[4] = sin b"
              "    d:f32[1,4] = broadcast_in_dim[broadcast_dimensions=(1,) shape=(1, 4)] c"
              "    e:f32[3,4] = add a d"
              "  in (e,) }" ]
    Assert.Equal(expected, print (Api.vmap f [ Some 0; None ] [ Some 0 ]) [ f32 [ 3; 4 ]; f32 [ 4 ] ])

[<Fact>]
let ``a matrix-vector product mapped over the vector's batch becomes one dot_general`` () =
    // jax.make_jaxpr(jax.vmap(lambda m, v: lax.dot_general(m, v, (([1], [0]), ([], []))), in_axes=(None, 1), out_axes=1))
    let f (xs: Value list) = [ L.dotGeneral { LhsContract = [ 1 ]; RhsContract = [ 0 ]; LhsBatch = []; RhsBatch = [] } None xs[0] xs[1] ]
    let expected =
        lines
            [ "{ lambda ; a:f32[2,3] b:f32[3,5]. let"
              "    c:f32[2,5] = dot_general[dimension_numbers=(([1], [0]), ([], []))] a b"
              "  in (c,) }" ]
    Assert.Equal(expected, print (Api.vmap f [ None; Some 1 ] [ Some 1 ]) [ f32 [ 2; 3 ]; f32 [ 3; 5 ] ])

[<Fact>]
let ``mapping along a middle axis binds elementwise primitives in place, with no transpose`` () =
    let f (xs: Value list) = [ L.mul (L.exp xs[0]) xs[1] ]
    let expected =
        lines
            [ "{ lambda ; a:f32[2,7,3] b:f32[2,7,3]. let"
              "    c:f32[2,7,3] = exp a"
              "    d:f32[2,7,3] = mul c b"
              "  in (d,) }" ]
    Assert.Equal(expected, print (Api.vmap f [ Some 1; Some 1 ] [ Some 1 ]) [ f32 [ 2; 7; 3 ]; f32 [ 2; 7; 3 ] ])
