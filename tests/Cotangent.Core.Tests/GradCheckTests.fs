/// check_grads for every differentiable lax primitive: orders 1 and 2, forward and reverse
/// mode, in float64 at points away from kinks; plus the rules finite differences cannot see.
module Cotangent.Core.Tests.GradCheckTests

open Xunit
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Tracing
module L = Cotangent.Core.LaxOps

let rng = System.Random(1234)

/// A float64 array of `shape` with entries uniform in [lo, hi).
let uniform (lo: float) (hi: float) (shape: int list) =
    let shape = Array.ofList shape
    Concrete(NdArray.ofFloat64 shape (Array.init (Shape.size shape) (fun _ -> lo + (hi - lo) * rng.NextDouble())))

let f64 (shape: int list) (xs: float list) = Concrete(NdArray.ofFloat64 (Array.ofList shape) (Array.ofList xs))
let c (x: float) = Concrete(NdArray.scalar F64 false x)
let i32 (x: int) = Concrete(NdArray.scalar I32 false (float x))

let one f (args: Value list) = [ f args ]

/// Each primitive's test: a function of float64 arrays and a point away from its kinks.
let cases : (string * (Value list -> Value list) * Value list) list =
    let u = uniform
    [ "neg", one (fun a -> L.neg a[0]), [ u -2.0 2.0 [ 3 ] ]
      "exp", one (fun a -> L.exp a[0]), [ u -1.0 1.0 [ 3 ] ]
      "log", one (fun a -> L.log a[0]), [ u 0.5 2.0 [ 3 ] ]
      "log1p", one (fun a -> L.log1p a[0]), [ u -0.5 1.0 [ 3 ] ]
      "expm1", one (fun a -> L.expm1 a[0]), [ u -1.0 1.0 [ 3 ] ]
      "sin", one (fun a -> L.sin a[0]), [ u -2.0 2.0 [ 2; 3 ] ]
      "cos", one (fun a -> L.cos a[0]), [ u -2.0 2.0 [ 3 ] ]
      "tan", one (fun a -> L.tan a[0]), [ u -1.0 1.0 [ 3 ] ]
      "tanh", one (fun a -> L.tanh a[0]), [ u -2.0 2.0 [ 3 ] ]
      "logistic", one (fun a -> L.logistic a[0]), [ u -2.0 2.0 [ 3 ] ]
      "sqrt", one (fun a -> L.sqrt a[0]), [ u 0.5 2.0 [ 3 ] ]
      "rsqrt", one (fun a -> L.rsqrt a[0]), [ u 0.5 2.0 [ 3 ] ]
      "abs", one (fun a -> L.abs a[0]), [ f64 [ 4 ] [ -1.5; -0.3; 0.4; 2.0 ] ]
      "integer_pow 3", one (fun a -> L.integerPow 3 a[0]), [ u -2.0 2.0 [ 3 ] ]
      "integer_pow -2", one (fun a -> L.integerPow -2 a[0]), [ u 0.5 2.0 [ 3 ] ]
      "pow", one (fun a -> L.pow a[0] a[1]), [ u 0.5 2.0 [ 3 ]; u -1.0 2.0 [ 3 ] ]
      "add", one (fun a -> L.add a[0] a[1]), [ u -1.0 1.0 [ 3 ]; u -1.0 1.0 [ 3 ] ]
      "add broadcasting a scalar", one (fun a -> L.add a[0] a[1]), [ u -1.0 1.0 [ 2; 3 ]; u -1.0 1.0 [] ]
      "sub", one (fun a -> L.sub a[0] a[1]), [ u -1.0 1.0 [ 3 ]; u -1.0 1.0 [ 3 ] ]
      "mul", one (fun a -> L.mul a[0] a[1]), [ u -1.0 1.0 [ 3 ]; u -1.0 1.0 [ 3 ] ]
      "mul broadcasting size 1", one (fun a -> L.mul a[0] a[1]), [ u -1.0 1.0 [ 2; 3 ]; u -1.0 1.0 [ 1; 3 ] ]
      "div", one (fun a -> L.div a[0] a[1]), [ u -1.0 1.0 [ 3 ]; u 0.5 2.0 [ 3 ] ]
      "rem", one (fun a -> L.rem a[0] a[1]), [ f64 [ 3 ] [ 2.3; -1.7; 0.6 ]; f64 [ 3 ] [ 1.0; 1.1; 0.9 ] ]
      "max", one (fun a -> L.max a[0] a[1]), [ f64 [ 3 ] [ 1.0; -1.0; 0.5 ]; f64 [ 3 ] [ 0.0; 0.3; 2.0 ] ]
      "min", one (fun a -> L.min a[0] a[1]), [ f64 [ 3 ] [ 1.0; -1.0; 0.5 ]; f64 [ 3 ] [ 0.0; 0.3; 2.0 ] ]
      "atan2", one (fun a -> L.atan2 a[0] a[1]), [ u 0.5 1.5 [ 3 ]; u 0.5 1.5 [ 3 ] ]
      "select_n", one (fun a -> L.select (Concrete(NdArray.ofBool [| 3 |] [| true; false; true |])) a[0] a[1]), [ u -1.0 1.0 [ 3 ]; u -1.0 1.0 [ 3 ] ]
      "broadcast_in_dim", one (fun a -> L.broadcastInDim [ 2; 3 ] [ 1 ] a[0]), [ u -1.0 1.0 [ 3 ] ]
      "reshape", one (fun a -> L.reshape [ 3; 2 ] a[0]), [ u -1.0 1.0 [ 2; 3 ] ]
      "squeeze", one (fun a -> L.squeeze [ 0 ] a[0]), [ u -1.0 1.0 [ 1; 3 ] ]
      "expand_dims", one (fun a -> L.expandDims [ 1 ] a[0]), [ u -1.0 1.0 [ 3 ] ]
      "transpose", one (fun a -> L.transpose [ 1; 0 ] a[0]), [ u -1.0 1.0 [ 2; 3 ] ]
      "reduce_sum", one (fun a -> L.reduceSum [ 1 ] a[0]), [ u -1.0 1.0 [ 2; 3 ] ]
      "reduce_max", one (fun a -> L.reduceMax [ 0 ] a[0]), [ f64 [ 2; 2 ] [ 1.0; -1.0; 0.5; 2.0 ] ]
      "reduce_min", one (fun a -> L.reduceMin [ 1 ] a[0]), [ f64 [ 2; 2 ] [ 1.0; -1.0; 0.5; 2.0 ] ]
      "reduce_prod", one (fun a -> L.reduceProd [ 1 ] a[0]), [ u -2.0 2.0 [ 2; 5 ] ]
      "reduce_prod with a zero", one (fun a -> L.reduceProd [ 0 ] a[0]), [ f64 [ 4 ] [ 0.0; 1.5; -2.0; 0.7 ] ]
      "cumsum", one (fun a -> L.cumsum 1 false a[0]), [ u -1.0 1.0 [ 2; 3 ] ]
      "cumsum reverse", one (fun a -> L.cumsum 0 true a[0]), [ u -1.0 1.0 [ 4 ] ]
      "dot_general", one (fun a -> L.dotGeneral { LhsContract = [ 1 ]; RhsContract = [ 0 ]; LhsBatch = []; RhsBatch = [] } None a[0] a[1]), [ u -1.0 1.0 [ 2; 3 ]; u -1.0 1.0 [ 3; 4 ] ]
      "dot_general batched", one (fun a -> L.dotGeneral { LhsContract = [ 2 ]; RhsContract = [ 1 ]; LhsBatch = [ 0 ]; RhsBatch = [ 0 ] } None a[0] a[1]), [ u -1.0 1.0 [ 2; 2; 3 ]; u -1.0 1.0 [ 2; 3; 2 ] ]
      "slice", one (fun a -> L.slice [ 1 ] [ 4 ] None a[0]), [ u -1.0 1.0 [ 5 ] ]
      "slice strided", one (fun a -> L.slice [ 0; 1 ] [ 3; 4 ] (Some [ 2; 2 ]) a[0]), [ u -1.0 1.0 [ 3; 4 ] ]
      "dynamic_slice", one (fun a -> L.dynamicSlice [ 2 ] a[0] [ i32 1 ]), [ u -1.0 1.0 [ 4 ] ]
      "dynamic_update_slice", one (fun a -> L.dynamicUpdateSlice a[0] a[1] [ i32 1 ]), [ u -1.0 1.0 [ 4 ]; u -1.0 1.0 [ 2 ] ]
      "concatenate", one (fun a -> L.concatenate 0 [ a[0]; a[1] ]), [ u -1.0 1.0 [ 2 ]; u -1.0 1.0 [ 3 ] ]
      "pad", one (fun a -> L.pad [ (1, 2, 1) ] a[0] a[1]), [ u -1.0 1.0 [ 3 ]; u -1.0 1.0 [] ]
      "rev", one (fun a -> L.rev [ 0 ] a[0]), [ u -1.0 1.0 [ 3 ] ]
      "add_any", one (fun a -> L.addAny a[0] a[1]), [ u -1.0 1.0 [ 3 ]; u -1.0 1.0 [ 3 ] ]
      "a composition", one (fun a -> L.reduceSum [ 0 ] (L.mul (L.tanh a[0]) (L.exp (L.neg a[0])))), [ u -1.0 1.0 [ 4 ] ] ]

let caseNames : obj array seq = cases |> Seq.map (fun (name, _, _) -> [| name :> obj |])

[<Theory; MemberData(nameof caseNames)>]
let ``check_grads orders 1 and 2 in both modes`` (name: string) =
    let _, f, args = cases |> List.find (fun (n, _, _) -> n = name)
    GradCheck.checkGrads f args 2 [ GradCheck.Fwd; GradCheck.Rev ] 7

[<Fact>]
let ``convert_element_type differentiates through float32`` () =
    let f (a: Value list) = [ L.convertElementType F64 false (L.sin (L.convertElementType F32 false a[0])) ]
    let x = Concrete(NdArray.ofFloat32 [| 3 |] [| 0.1f; 0.5f; -0.7f |])
    GradCheck.checkGrads f [ x ] 1 [ GradCheck.Fwd; GradCheck.Rev ] 3

[<Fact>]
let ``stop_gradient blocks the derivative`` () =
    // d/dx (stop_gradient(x) * x) = stop_gradient(x) = x
    let g = Api.grad (fun a -> L.reduceSum [ 0 ] (L.mul (L.stopGradient a[0]) a[0])) [ 0 ] [ f64 [ 3 ] [ 1.0; 2.0; -3.0 ] ]
    match g with
    | [ Concrete a ] -> Assert.Equal<float[]>([| 1.0; 2.0; -3.0 |], NdArray.toFloats a)
    | _ -> failwith "expected one concrete gradient"

[<Fact>]
let ``comparisons, sign, floor and argmax have zero derivatives`` () =
    let f (a: Value list) =
        let x = a[0]
        let mask = L.convertElementType F64 false (L.gt x (c 0.0))
        L.reduceSum [ 0 ] (L.add (L.mul mask (L.sign x)) (L.floor x))
    let g = Api.grad f [ 0 ] [ f64 [ 3 ] [ 1.5; -2.5; 0.5 ] ]
    match g with
    | [ Concrete a ] -> Assert.Equal<float[]>([| 0.0; 0.0; 0.0 |], NdArray.toFloats a)
    | _ -> failwith "expected one concrete gradient"

[<Fact>]
let ``max splits the derivative evenly at a tie`` () =
    let g = Api.grad (fun a -> L.max a[0] a[1]) [ 0; 1 ] [ c 1.0; c 1.0 ]
    match g with
    | [ Concrete gx; Concrete gy ] -> Assert.Equal(0.5, NdArray.item 0 gx); Assert.Equal(0.5, NdArray.item 0 gy)
    | _ -> failwith "expected two concrete gradients"
