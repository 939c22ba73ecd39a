/// Gradient checking after jax.test_util.check_grads: forward mode against central finite
/// differences along a seeded random direction; reverse mode by the adjoint identity
/// <t, vjp(c)> = <jvp-by-differences(t), c>; recursing for higher orders. Runs eagerly on
/// concrete arrays and raises CotangentException naming the order, mode and discrepancy.
module Cotangent.Core.GradCheck

open System
open Cotangent.Core
open Cotangent.Core.Tracing
module N = Cotangent.Core.Numpy

type Mode =
    | Fwd
    | Rev

let private concrete (what: string) (v: Value) =
    match v with
    | Concrete a -> a
    | Traced t -> fail "check_grads" $"{what} must be concrete, got a tracer ({Aval.str t.Aval})"

/// jtu's default gradient tolerances: float32 2e-3, float64 1e-5.
let tolerance (dtype: DType) = if dtype = F64 then 1e-5 else 2e-3

/// A seeded standard-normal array like `v` (floats only).
let private randLike (rng: Random) (v: Value) =
    let a = Value.aval v
    let xs = Array.init (Aval.size a) (fun _ -> sqrt (-2.0 * log (1.0 - rng.NextDouble())) * cos (2.0 * Math.PI * rng.NextDouble()))
    Concrete(NdArray.ofFloats a.DType a.Shape xs)

let private scale (c: float) (v: Value) = N.multiply v (Concrete(NdArray.scalar (Value.aval v).DType true c))

/// numerical_jvp: (f(x + eps t) - f(x - eps t)) / (2 eps).
let numericalJvp (f: Value list -> Value list) (args: Value list) (tangents: Value list) (eps: float) =
    let shifted sign = List.map2 (fun x t -> N.add x (scale (sign * eps) t)) args tangents
    List.map2 (fun p m -> scale (0.5 / eps) (N.subtract p m)) (f (shifted 1.0)) (f (shifted -1.0))

let private innerProduct (xs: Value list) (ys: Value list) =
    List.map2 (fun x y -> Array.map2 (*) (NdArray.toFloats (concrete "x" x)) (NdArray.toFloats (concrete "y" y)) |> Array.sum) xs ys
    |> List.sum

/// Asserts |actual - expected| <= atol + rtol |expected| elementwise.
let private checkClose (what: string) (tol: float) (actual: Value list) (expected: Value list) =
    List.iteri2 (fun i a e ->
        let a, e = NdArray.toFloats (concrete what a), NdArray.toFloats (concrete what e)
        Array.iteri2 (fun j x y ->
            let bad = Double.IsNaN x <> Double.IsNaN y || (not (Double.IsNaN x) && abs (x - y) > tol + tol * abs y)
            if bad then fail "check_grads" $"{what}: output {i}, element {j}: got {x}, expected {y} (tolerance {tol})") a e)
        actual expected

/// check_grads: verifies `f`'s derivatives up to `order` in the given modes at `args`.
let rec checkGrads (f: Value list -> Value list) (args: Value list) (order: int) (modes: Mode list) (seed: int) =
    let rng = Random(seed)
    let dtype = args |> List.map (fun a -> (Value.aval a).DType) |> List.fold (fun acc d -> if d = F32 then F32 else acc) F64
    // tolerances grow with the square root of the input size, as rounding errors accumulate
    let size = args |> List.sumBy (Value.aval >> Aval.size)
    let tol = tolerance dtype * Math.Max(1.0, sqrt (float size))
    let eps = if dtype = F64 then 1e-4 else 1e-2
    if List.contains Fwd modes then
        let tangents = args |> List.map (randLike rng)
        let outs, touts = Api.jvp f args tangents
        checkClose $"order {order} fwd: primal" tol outs (f args)
        checkClose $"order {order} fwd: jvp against central differences" tol touts (numericalJvp f args tangents eps)
        if order > 1 then
            let n = args.Length
            let fJvp (xs: Value list) = let ps, ts = List.splitAt n xs in let o, t = Api.jvp f ps ts in o @ t
            checkGrads fJvp (args @ tangents) (order - 1) [ Fwd ] (seed + 1)
    if List.contains Rev modes then
        let outs, pullback = Api.vjp f args
        checkClose $"order {order} rev: primal" tol outs (f args)
        let tangents = args |> List.map (randLike rng)
        let tangentOut = numericalJvp f args tangents eps
        let cotangents = outs |> List.map (randLike rng)
        let ip = innerProduct tangents (pullback cotangents)
        let expected = innerProduct tangentOut cotangents
        if abs (ip - expected) > tol + tol * abs expected then
            fail "check_grads" $"order {order} rev: <t, vjp(c)> = {ip} but <jvp(t), c> = {expected} (tolerance {tol})"
        if order > 1 then
            let fVjp (xs: Value list) = let o, pb = Api.vjp f xs in pb o
            checkGrads fVjp args (order - 1) [ Rev ] (seed + 1)

