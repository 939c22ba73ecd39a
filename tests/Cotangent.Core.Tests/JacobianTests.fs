/// Jacobians and Hessians as JAX builds them (vmap of jvp / of the pullback over a standard
/// basis) agree with each other and with finite differences.
module Cotangent.Core.Tests.JacobianTests

open Xunit
open Cotangent.Core
open Cotangent.Core.Tracing
module L = Cotangent.Core.LaxOps
module N = Cotangent.Core.Numpy
module A = Cotangent.Core.NumpyArrays

let f64 (shape: int list) (xs: float list) = Concrete(NdArray.ofFloat64 (Array.ofList shape) (Array.ofList xs))
let floats (v: Value) = match v with Concrete a -> NdArray.toFloats a | Traced _ -> failwith "concrete expected"
let shape (v: Value) = (Value.aval v).Shape

let assertClose (tol: float) (expected: float[]) (actual: float[]) =
    Assert.Equal(expected.Length, actual.Length)
    Array.iteri2 (fun i e a -> Assert.True(abs (e - a) <= tol * (1.0 + abs e), $"element {i}: expected {e}, got {a}")) expected actual

/// f(x, y) = (sin(x) * y[0], sum(x * x) + y) for x: f64[3], y: f64[2]
let f (args: Value list) =
    let x, y = args[0], args[1]
    [ N.multiply (N.sin x) (A.index 0 y); N.add (A.sum None false (N.multiply x x)) y ]

let x = f64 [ 3 ] [ 0.3; -1.2; 2.0 ]
let y = f64 [ 2 ] [ 1.5; -0.5 ]

[<Fact>]
let ``jacfwd and jacrev agree and have shapes out.shape + arg.shape`` () =
    let fwd = Api.jacfwd f [ 0; 1 ] [ x; y ]
    let rev = Api.jacrev f [ 0; 1 ] [ x; y ]
    let expectedShapes = [ [ [| 3; 3 |]; [| 3; 2 |] ]; [ [| 2; 3 |]; [| 2; 2 |] ] ]
    for i in 0..1 do
        for j in 0..1 do
            let expected, f, r = expectedShapes[i][j], fwd[i][j], rev[i][j]
            Assert.Equal<int[]>(expected, shape f)
            Assert.Equal<int[]>(expected, shape r)
            assertClose 1e-12 (floats f) (floats r)
    // d(sin(x) * y0)/dx = diag(cos(x) * y0)
    let xs = floats x
    let expected = Array.init 9 (fun k -> if k / 3 = k % 3 then cos xs[k / 3] * 1.5 else 0.0)
    let d = fwd[0][0]
    assertClose 1e-12 expected (floats d)

[<Fact>]
let ``hessian is symmetric and matches the analytic second derivative`` () =
    // g(x) = sum(tanh(x) * x * x) + sum(x)^2
    let g (args: Value list) =
        let x = args[0]
        N.add (A.sum None false (N.multiply (N.multiply (N.tanh x) x) x)) (N.square (A.sum None false x))
    let h = Api.hessian g [ 0 ] [ x ] |> List.head |> List.head
    Assert.Equal<int[]>([| 3; 3 |], shape h)
    let hs = floats h
    let xs = floats x
    let second (t: float) =
        // d2/dt2 of tanh(t) t^2
        let th = tanh t
        let s2 = 1.0 - th * th
        -2.0 * th * s2 * t * t + 4.0 * s2 * t + 2.0 * th
    for i in 0..2 do
        for j in 0..2 do
            Assert.Equal(hs[i * 3 + j], hs[j * 3 + i], 12)
            let expected = 2.0 + (if i = j then second xs[i] else 0.0)
            Assert.True(abs (hs[i * 3 + j] - expected) < 1e-10, $"H[{i},{j}] = {hs[i * 3 + j]}, expected {expected}")

[<Fact>]
let ``jacfwd of a scalar function of a scalar is its derivative`` () =
    let j = Api.jacfwd (fun a -> [ N.exp a[0] ]) [ 0 ] [ f64 [] [ 0.5 ] ] |> List.head |> List.head
    Assert.Equal<int[]>([||], shape j)
    assertClose 1e-12 [| exp 0.5 |] (floats j)
