/// The laws of differentiation and batching on random programs (ProgramGen), in float64: forward
/// mode against finite differences, reverse mode as its adjoint, Jacobians both ways, second
/// derivatives against finite differences, vmap against a loop. Finite differences use MathNet's
/// five-point central stencil (error O(h^4)) along unit directions, and are only compared where
/// no max/min switches branch across the stencil (a discarded case otherwise).
module Cotangent.Core.Tests.ProgramProperties

open System
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open MathNet.Numerics.Differentiation
open Cotangent.Core
open Cotangent.Core.Tracing
open Cotangent.Core.Tests.ProgramGen
module N = Cotangent.Core.Numpy
module A = Cotangent.Core.NumpyArrays

// ---------------------------------------------------------------------------------------------
// Points, directions and finite differences. Data lives in float[] lists, one per array.

let private concrete (v: Value) =
    match v with
    | Concrete a -> a
    | Traced t -> failwith $"expected a concrete array, got a tracer {Aval.str t.Aval}"

let private floats (v: Value) = NdArray.toFloats (concrete v)
let private shapeOf (v: Value) = (Value.aval v).Shape
let private values (shapes: int[] list) (xs: float[] list) = List.map2 (fun s x -> Concrete(NdArray.ofFloat64 s x)) shapes xs
let private inputShapes (s: Sample) = s.Program.Inputs |> List.map (fun i -> i.Shape)
let private point (s: Sample) = s.Inputs |> List.map NdArray.toFloats

let private dot (xs: float[] list) (ys: float[] list) = List.map2 (fun a b -> Array.fold2 (fun acc x y -> acc + x * y) 0.0 a b) xs ys |> List.sum
let private dotAbs (xs: float[] list) (ys: float[] list) = List.map2 (fun a b -> Array.map2 (fun x y -> abs (x * y)) a b |> Array.sum) xs ys |> List.sum
let private maxAbs (xs: float[] list) = xs |> List.map (fun a -> if a.Length = 0 then 0.0 else Array.max (Array.map abs a)) |> List.fold max 0.0

/// `vs` scaled to unit 2-norm over all arrays together.
let private normalized (vs: float[] list) =
    let norm = sqrt (dot vs vs)
    vs |> List.map (Array.map (fun v -> v / norm))

/// x + t v, array by array.
let private along (xs: float[] list) (t: float) (vs: float[] list) = List.map2 (Array.map2 (fun x v -> x + t * v)) xs vs

/// MathNet's five-point central coefficients for the first derivative at offsets -2h .. 2h
/// (1/12, -2/3, 0, 2/3, -1/12; divide by h): truncation error h^4 f^(5) / 30.
let private stencil = FiniteDifferenceCoefficients(5).GetCoefficients(2, 1)
let private offsets = [ -2.0; -1.0; 0.0; 1.0; 2.0 ]

/// The step: with unit directions and values bounded by 64, rounding contributes about
/// 1e-16 * 64 * 1.5 / h (1e-10) and truncation h^4 / 30 times a fifth derivative, which stays
/// below the 1e-6 tolerance for fifth derivatives up to 1e10 (sin of a sum of cubes reaches 1e8).
let private h = 1e-4

/// The step of the mixed second-order stencil, whose rounding grows as 1 / h^2:
/// 1e-16 * 2.25 / h^2 (1e-9) relative to the function's values.
let private h2 = 5e-4

/// The five-point derivative at 0 of t -> ys(t) (arrays), given ys at the offsets times h.
let private derivative (ys: float[] list list) =
    ys.Head |> List.mapi (fun j first -> Array.init first.Length (fun k -> List.fold2 (fun acc (c: float) (y: float[] list) -> acc + c * y[j][k]) 0.0 (List.ofArray stencil) ys / h))

/// The program's outputs at a point and the branches its max/min take there.
let private run (p: Program) (shapes: int[] list) (xs: float[] list) =
    let all = evalAll p (values shapes xs) |> List.map concrete
    p.Outputs |> List.map (fun o -> NdArray.toFloats all[o]), choices p all

/// True when every max/min takes the same branch at all the points (stencils stay on one side
/// of every kink).
let private smooth (runs: ('a * int list) list) = runs |> List.forall (fun (_, c) -> c = snd runs.Head)

/// Fails unless |actual - expected| <= tol * max(1, max |expected|) elementwise.
let private expectClose (what: string) (tol: float) (actual: float[] list) (expected: float[] list) =
    let scale = max 1.0 (maxAbs expected)
    if actual.Length <> expected.Length then failwith $"{what}: {actual.Length} arrays, expected {expected.Length}"
    List.iteri2 (fun i (a: float[]) (e: float[]) ->
        if a.Length <> e.Length then failwith $"{what}: array {i} has {a.Length} elements, expected {e.Length}"
        Array.iteri2 (fun k x y ->
            if not (abs (x - y) <= tol * scale) then
                failwith $"{what}: array {i}, element {k}: got {x}, expected {y} (|difference| {abs (x - y):G3} > {tol:G3} * {scale:G3})") a e) actual expected

/// The sum of all outputs: the scalar function second-order laws differentiate.
let private total (p: Program) (xs: Value list) = toFunction p xs |> List.map (A.sum None false) |> List.reduce N.add

let private argnums (s: Sample) = [ 0 .. s.Program.Inputs.Length - 1 ]

// ---------------------------------------------------------------------------------------------
// The generator's own contract.

[<Property(MaxTest = 200, Arbitrary = [| typeof<Generators> |])>]
let ``generated programs check and their values stay within the checked bounds`` (s: Sample) =
    match check s.Program with
    | Error e -> failwith $"generated an invalid program: {e}"
    | Ok specs ->
        let all = evalAll s.Program (s.Inputs |> List.map Concrete) |> List.map concrete
        List.iteri2 (fun i (spec: Spec) (a: NdArray) ->
            if a.Aval.Shape <> spec.Shape || a.Aval.DType <> F64 then failwith $"value {i} is {Aval.str a.Aval}, checked as {Shape.pyTuple spec.Shape}"
            let slack = 1e-9 * (1.0 + abs spec.Lo + abs spec.Hi)
            for v in NdArray.toFloats a do
                if not (v >= spec.Lo - slack && v <= spec.Hi + slack) then failwith $"value {i} has element {v} outside [{spec.Lo}, {spec.Hi}]") specs all

// ---------------------------------------------------------------------------------------------
// First order.

[<Property(MaxTest = 200, Arbitrary = [| typeof<Generators> |])>]
let ``jvp matches central finite differences`` (s: Sample) =
    let p, shapes, x = s.Program, inputShapes s, point s
    let v = normalized (s.Normals 3 shapes)
    let runs = offsets |> List.map (fun t -> run p shapes (along x (t * h) v))
    smooth runs ==> lazy (
        let _, tangents = Api.jvp (toFunction p) (values shapes x) (values shapes v)
        expectClose "jvp against finite differences" 1e-6 (List.map floats tangents) (derivative (List.map fst runs)))

[<Property(MaxTest = 200, Arbitrary = [| typeof<Generators> |])>]
let ``vjp is the adjoint of jvp`` (s: Sample) =
    let p, shapes = s.Program, inputShapes s
    let x = values shapes (point s)
    let v = s.Normals 3 shapes
    let outs, pullback = Api.vjp (toFunction p) x
    let outShapes = List.map shapeOf outs
    let u = s.Normals 9 outShapes
    let _, jv = Api.jvp (toFunction p) x (values shapes v)
    let ju = pullback (values outShapes u) |> List.map floats
    let jv = List.map floats jv
    // <u, J v> = <J^T u, v>, both sums carrying rounding relative to their absolute terms
    let lhs, rhs = dot u jv, dot ju v
    // rounding inside J can cancel (d(a/a) = 1/a - a/a^2): |u| |v| stands for the terms' size
    let scale = dotAbs u jv + dotAbs ju v + sqrt (dot u u * dot v v)
    if not (abs (lhs - rhs) <= 1e-9 * scale) then
        failwith $"<u, jvp(v)> = {lhs:R} but <vjp(u), v> = {rhs:R} (scale {scale:G3})"

[<Property(MaxTest = 200, Arbitrary = [| typeof<Generators> |])>]
let ``jacfwd equals jacrev`` (s: Sample) =
    let p, shapes = s.Program, inputShapes s
    let x = values shapes (point s)
    let fwd = Api.jacfwd (toFunction p) (argnums s) x
    let rev = Api.jacrev (toFunction p) (argnums s) x
    let outs = toFunction p x
    List.iteri2 (fun i (rowF: Value list) (rowR: Value list) ->
        List.iteri2 (fun j f r ->
            let expected = Array.append (shapeOf outs[i]) shapes[j]
            if shapeOf f <> expected || shapeOf r <> expected then
                failwith $"d out{i} / d in{j}: jacfwd {Aval.str (Value.aval f)}, jacrev {Aval.str (Value.aval r)}, expected shape {Shape.pyTuple expected}"
            expectClose $"d out{i} / d in{j}: jacfwd against jacrev" 1e-10 [ floats f ] [ floats r ]) rowF rowR) fwd rev

// ---------------------------------------------------------------------------------------------
// Second order, on the sum of the outputs.

[<Property(MaxTest = 200, Arbitrary = [| typeof<Generators> |])>]
let ``hessian is symmetric and matches finite differences of the gradient`` (s: Sample) =
    let p, shapes, x = s.Program, inputShapes s, point s
    let v = normalized (s.Normals 3 shapes)
    let steps = offsets |> List.map (fun t -> along x (t * h) v)
    smooth (steps |> List.map (run p shapes)) ==> lazy (
        let hess = Api.hessian (total p) (argnums s) (values shapes x) |> List.map (List.map floats)
        let sizes = shapes |> List.map Shape.size
        let scale = max 1.0 (hess |> List.map maxAbs |> List.fold max 0.0)
        /// d2 f / d in_j[a] d in_k[b]
        let block j k a b = (hess[j][k]).[a * sizes[k] + b]
        for j in 0 .. sizes.Length - 1 do
            for k in 0 .. sizes.Length - 1 do
                for a in 0 .. sizes[j] - 1 do
                    for b in 0 .. sizes[k] - 1 do
                        let hjk, hkj = block j k a b, block k j b a
                        if not (abs (hjk - hkj) <= 1e-9 * scale) then
                            failwith $"H[in{j}][{a}][in{k}][{b}] = {hjk:R} but H[in{k}][{b}][in{j}][{a}] = {hkj:R}"
        // H v, row block j: sum over k of H[j][k] (sizes j x k) times v_k
        let hv = List.init sizes.Length (fun j -> Array.init sizes[j] (fun a -> List.sum [ for k in 0 .. sizes.Length - 1 do for b in 0 .. sizes[k] - 1 -> block j k a b * v[k].[b] ]))
        let grads = steps |> List.map (fun xs -> Api.grad (total p) (argnums s) (values shapes xs) |> List.map floats)
        expectClose "hessian times v against finite differences of the gradient" 1e-6 hv (derivative grads))

[<Property(MaxTest = 200, Arbitrary = [| typeof<Generators> |])>]
let ``grad of grad matches finite differences`` (s: Sample) =
    let p, shapes, x = s.Program, inputShapes s, point s
    let v, w = normalized (s.Normals 3 shapes), normalized (s.Normals 6 shapes)
    // v' H w by the tensor product of the stencil with itself: 16 values of the sum of outputs
    let grid = [ for a in offsets do for b in offsets -> a, b, run p shapes (along (along x (a * h2) v) (b * h2) w) ]
    smooth (grid |> List.map (fun (_, _, r) -> r)) ==> lazy (
        let coefficient (t: float) = stencil[int t + 2]
        let value (outs: float[] list) = outs |> List.sumBy Array.sum
        let fd = grid |> List.sumBy (fun (a, b, (outs, _)) -> coefficient a * coefficient b * value outs) |> fun d -> d / (h2 * h2)
        let rounding = 1e-8 * (grid |> List.map (fun (_, _, (outs, _)) -> abs (value outs)) |> List.max)
        let directional (xs: Value list) =
            let g = Api.grad (total p) (argnums s) xs
            List.map2 (fun gi (wi, shape) -> A.sum None false (N.multiply gi (Concrete(NdArray.ofFloat64 shape wi)))) g (List.zip w shapes) |> List.reduce N.add
        let hw = Api.grad directional (argnums s) (values shapes x) |> List.map floats
        let ad = dot v hw
        if not (abs (ad - fd) <= 1e-6 * max 1.0 (abs fd) + rounding) then
            failwith $"v' (grad of <grad, w>) = {ad:R} but finite differences give {fd:R}")

// ---------------------------------------------------------------------------------------------
// Batching.

/// A vmap case: batch size, which inputs are mapped (along axis 0) and which outputs stack
/// along their last axis rather than the first.
type VmapCase =
    { Sample: Sample
      Batch: int
      Mapped: bool list
      OutLast: bool list }

    override this.ToString() = $"{this.Sample.Display}\nbatch {this.Batch}, mapped inputs %A{this.Mapped}, outputs stacked last %A{this.OutLast}"

let private vmapCaseGen =
    gen {
        let! sample = sampleGen
        let! batch = Gen.choose (2, 4)
        let! mapped = Gen.listOfLength 3 (Gen.elements [ true; false ])
        let! outLast = Gen.listOfLength 3 (Gen.elements [ true; false ])
        return { Sample = sample; Batch = batch; Mapped = mapped; OutLast = outLast }
    }

let private vmapCaseArb = Arb.fromGenShrink (vmapCaseGen, fun c -> shrinkSample c.Sample |> Seq.map (fun s -> { c with Sample = s }))

[<Property(MaxTest = 200)>]
let ``vmap equals stacking f over examples`` () =
    Prop.forAll vmapCaseArb (fun c ->
        let p = c.Sample.Program
        let n = p.Inputs.Length
        let mapped = c.Mapped |> List.take n |> fun m -> if List.contains true m then m else true :: m.Tail
        let args = List.init n (fun i -> if mapped[i] then c.Sample.BatchedInput i c.Batch else c.Sample.Inputs[i])
        let example (b: int) =
            args |> List.mapi (fun i a ->
                if not mapped[i] then Concrete a
                else
                    let shape = a.Aval.Shape[1..]
                    let size = Shape.size shape
                    let all = NdArray.toFloats a
                    Concrete(NdArray.ofFloat64 shape all[b * size .. (b + 1) * size - 1]))
        let perExample = List.init c.Batch (fun b -> toFunction p (example b) |> List.map concrete)
        let outAxes = List.init p.Outputs.Length (fun j -> Some(if c.OutLast[j] then -1 else 0))
        let batched = Api.vmap (toFunction p) (mapped |> List.map (fun m -> if m then Some 0 else None)) outAxes (List.map Concrete args)
        List.iteri (fun j (out: Value) ->
            let pieces = perExample |> List.map (fun e -> e[j])
            let shape = pieces.Head.Aval.Shape
            let size = Shape.size shape
            let expectedShape, expected =
                if c.OutLast[j] then
                    Array.append shape [| c.Batch |], Array.init (size * c.Batch) (fun k -> NdArray.item (k / c.Batch) pieces[k % c.Batch])
                else Array.insertAt 0 c.Batch shape, pieces |> List.map NdArray.toFloats |> Array.concat
            if shapeOf out <> expectedShape then
                failwith $"output {j}: vmap gives {Aval.str (Value.aval out)}, the loop {Shape.pyTuple expectedShape}"
            expectClose $"output {j}: vmap against the loop" 1e-12 [ floats out ] [ expected ]) batched)
