/// The laws of differentiation and batching on random programs (ProgramGen), in float64: forward
/// mode against finite differences, reverse mode as its adjoint, Jacobians both ways, second
/// derivatives against finite differences, vmap against a loop. Finite differences use MathNet's
/// five-point central stencil (error O(h^4)) along unit directions, at two steps for an error
/// bar, and are only compared where no max, min, where, abs or rem switches branch across the
/// stencil (a discarded case otherwise: about 1 in 1000).
module Cotangent.Core.Tests.ProgramProperties

open System
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open MathNet.Numerics.Differentiation
open Cotangent.Core
open Cotangent.Core.Tracing
open Cotangent.Core.Tests.ProgramCheck
open Cotangent.Core.Tests.ProgramRun
open Cotangent.Core.Tests.ProgramGen
module N = Cotangent.Core.Numpy
module A = Cotangent.Core.NumpyArrays

/// Programs per property: each property runs in 0.2-3 s in Release on one core.
[<Literal>]
let Programs = 1000

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
let private stencil = FiniteDifferenceCoefficients(5).GetCoefficients(2, 1) |> List.ofArray
let private offsets = [ -2.0; -1.0; 0.0; 1.0; 2.0 ]

/// The step of first derivatives: with unit directions and values bounded by 64, rounding
/// contributes about 1e-16 * 64 * 1.5 / h (1e-10).
let private h = 1e-4

/// The step of mixed second derivatives, whose rounding grows as 1 / h^2: 1e-16 * 2.25 / h^2
/// (1e-9 at h / 2) relative to the function's values.
let private h2 = 1e-3

/// A finite difference at steps `step` and `step / 2`: the finer one is the estimate, and
/// |coarse - fine| its error bar (the truncation error of an O(h^4) rule shrinks 16-fold when
/// h halves, so the difference is 15 times the fine one's error). Steep programs (sin of x^-6
/// has fifth derivatives near 1e15) would defeat any fixed tolerance without it.
let private withErrorBar (estimate: float -> float[] list) (step: float) =
    let fine, coarse = estimate (step / 2.0), estimate step
    fine, List.map2 (Array.map2 (fun a b -> abs (a - b))) fine coarse

/// The parameters t at which `firstDerivative` evaluates.
let private points (step: float) = [ for s in [ step; step / 2.0 ] do for t in offsets -> t * s ]

/// The five-point derivative at 0 of t -> ys t (arrays), with its error bar.
let private firstDerivative (ys: float -> float[] list) =
    withErrorBar (fun step ->
        let at = offsets |> List.map (fun t -> ys (t * step))
        at.Head |> List.mapi (fun j first -> Array.init first.Length (fun k -> List.fold2 (fun acc c (y: float[] list) -> acc + c * y[j][k]) 0.0 stencil at / step))) h

/// The program's outputs at a point and the branches its max, min, where, abs and rem take there.
let private run (p: Program) (shapes: int[] list) (xs: float[] list) =
    let all = Program.evalAll p (values shapes xs) |> List.map concrete
    p.Outputs |> List.map (fun o -> NdArray.toFloats all[o]), Program.choices p all

/// True when every kink takes the same branch at all the points (the stencils stay on one side
/// of every kink).
let private smooth (runs: ('a * int list) list) = runs |> List.forall (fun (_, c) -> c = snd runs.Head)

/// Fails unless |actual - expected| <= tol * max(1, max |expected|) + bar elementwise, where
/// `bars` are the error bars of `expected` (None: exact).
let private expectWithin (what: string) (tol: float) (bars: float[] list option) (actual: float[] list) (expected: float[] list) =
    let scale = max 1.0 (maxAbs expected)
    if actual.Length <> expected.Length then failwith $"{what}: {actual.Length} arrays, expected {expected.Length}"
    List.iteri2 (fun i (a: float[]) (e: float[]) ->
        if a.Length <> e.Length then failwith $"{what}: array {i} has {a.Length} elements, expected {e.Length}"
        Array.iteri2 (fun k x y ->
            let bar = match bars with Some b -> b[i].[k] | None -> 0.0
            if not (abs (x - y) <= tol * scale + bar) then
                failwith $"{what}: array {i}, element {k}: got {x}, expected {y} (|difference| {abs (x - y):G3} > {tol:G3} * {scale:G3} + error bar {bar:G3})") a e) actual expected

let private expectClose (what: string) (tol: float) (actual: float[] list) (expected: float[] list) = expectWithin what tol None actual expected

/// The sum of all outputs: the scalar function second-order laws differentiate.
let private total (p: Program) (xs: Value list) = Program.toFunction p xs |> List.map (A.sum None false) |> List.reduce N.add

let private allInputs (s: Sample) = [ 0 .. s.Program.Inputs.Length - 1 ]

/// A sample and the inputs to differentiate with respect to (argnums; the rest stay constant).
[<StructuredFormatDisplay("{Display}")>]
type WrtCase =
    { Sample: Sample
      Wrt: bool list }

    /// The argnums: inputs whose flag is set, or input 0 when none is.
    member this.Argnums =
        match [ 0 .. this.Sample.Program.Inputs.Length - 1 ] |> List.filter (fun i -> this.Wrt[i]) with
        | [] -> [ 0 ]
        | some -> some

    member this.Display = $"{this.Sample.Display}\nargnums %A{this.Argnums}"
    override this.ToString() = this.Display

let wrtArb =
    let cases = gen {
        let! sample = sampleGen
        let! wrt = Gen.listOfLength 3 (Gen.frequency [ 3, Gen.constant true; 1, Gen.constant false ])
        return { Sample = sample; Wrt = wrt } }
    Arb.fromGenShrink (cases, fun c -> shrinkSample c.Sample |> Seq.map (fun s -> { c with Sample = s }))

/// A vmap case: batch size, where each input is mapped (None, its first axis, or its last) and
/// where each output stacks (first or last axis).
[<StructuredFormatDisplay("{Display}")>]
type VmapCase =
    { Sample: Sample
      Batch: int
      InAxes: int option list
      OutLast: bool list }

    /// in_axes for the program's inputs, with the first input mapped when no other is.
    member this.Axes =
        match this.InAxes |> List.take this.Sample.Program.Inputs.Length with
        | axes when List.exists Option.isSome axes -> axes
        | axes -> Some 0 :: axes.Tail

    /// out_axes for the program's outputs.
    member this.OutAxes = this.Sample.Program.Outputs |> List.mapi (fun j _ -> Some(if this.OutLast[j] then -1 else 0))

    member this.Display = $"{this.Sample.Display}\nbatch {this.Batch}, in_axes %A{this.Axes}, out_axes %A{this.OutAxes}"
    override this.ToString() = this.Display

let private vmapCaseGen =
    gen {
        let! sample = sampleGen
        let! batch = Gen.choose (2, 4)
        let! inAxes = Gen.listOfLength 3 (Gen.frequency [ 2, Gen.constant (Some 0); 1, Gen.constant (Some -1); 1, Gen.constant None ])
        let! outLast = Gen.listOfLength 3 (Gen.elements [ true; false ])
        return { Sample = sample; Batch = batch; InAxes = inAxes; OutLast = outLast }
    }

let vmapCaseArb = Arb.fromGenShrink (vmapCaseGen, fun c -> shrinkSample c.Sample |> Seq.map (fun s -> { c with Sample = s }))

/// The Arbitraries of this file: programs with data, with argnums, with vmap axes.
type Cases =
    static member Sample() = Generators.Sample()
    static member Wrt() = wrtArb
    static member Vmap() = vmapCaseArb

// ---------------------------------------------------------------------------------------------
// The generator's own contract.

[<Property(MaxTest = Programs, Arbitrary = [| typeof<Cases> |])>]
let ``generated programs check and their values stay within the checked bounds`` (s: Sample) =
    match Program.check s.Program with
    | Error e -> failwith $"generated an invalid program: {e}"
    | Ok specs ->
        let all = Program.evalAll s.Program (s.Inputs |> List.map Concrete) |> List.map concrete
        List.iteri2 (fun i (spec: Spec) (a: NdArray) ->
            if a.Aval.Shape <> spec.Shape || a.Aval.DType <> F64 then failwith $"value {i} is {Aval.str a.Aval}, checked as {Shape.pyTuple spec.Shape}"
            let slack = 1e-9 * (1.0 + abs spec.Lo + abs spec.Hi)
            for v in NdArray.toFloats a do
                if not (v >= spec.Lo - slack && v <= spec.Hi + slack) then failwith $"value {i} has element {v} outside [{spec.Lo}, {spec.Hi}]") specs all

// ---------------------------------------------------------------------------------------------
// First order.

[<Property(MaxTest = Programs, Arbitrary = [| typeof<Cases> |])>]
let ``jvp matches central finite differences`` (s: Sample) =
    let p, shapes, x = s.Program, inputShapes s, point s
    let v = normalized (s.Normals 3 shapes)
    let runs = points h |> List.map (fun t -> t, run p shapes (along x t v)) |> dict
    smooth (List.ofSeq runs.Values) ==> lazy (
        let fd, bars = firstDerivative (fun t -> fst runs[t])
        let _, tangents = Api.jvp (Program.toFunction p) (values shapes x) (values shapes v)
        expectWithin "jvp against finite differences" 1e-6 (Some bars) (List.map floats tangents) fd)

[<Property(MaxTest = Programs, Arbitrary = [| typeof<Cases> |])>]
let ``vjp is the adjoint of jvp`` (s: Sample) =
    let p, shapes = s.Program, inputShapes s
    let x = values shapes (point s)
    let v = s.Normals 3 shapes
    let outs, pullback = Api.vjp (Program.toFunction p) x
    let outShapes = List.map shapeOf outs
    let u = s.Normals 9 outShapes
    let _, jv = Api.jvp (Program.toFunction p) x (values shapes v)
    let ju = pullback (values outShapes u) |> List.map floats
    let jv = List.map floats jv
    // <u, J v> = <J^T u, v> up to rounding, relative to the absolute terms of both sums; |u| |v|
    // stands for terms that cancel inside J (d(a/a) = 1/a - a/a^2 is 0 by rounding luck or not)
    let lhs, rhs = dot u jv, dot ju v
    let scale = dotAbs u jv + dotAbs ju v + sqrt (dot u u * dot v v)
    if not (abs (lhs - rhs) <= 1e-9 * scale) then
        failwith $"<u, jvp(v)> = {lhs:R} but <vjp(u), v> = {rhs:R} (scale {scale:G3})"

[<Property(MaxTest = Programs, Arbitrary = [| typeof<Cases> |])>]
let ``jacfwd equals jacrev`` (c: WrtCase) =
    let p, shapes, argnums = c.Sample.Program, inputShapes c.Sample, c.Argnums
    let x = values shapes (point c.Sample)
    let fwd = Api.jacfwd (Program.toFunction p) argnums x
    let rev = Api.jacrev (Program.toFunction p) argnums x
    let outs = Program.toFunction p x
    List.iteri2 (fun i (rowF: Value list) (rowR: Value list) ->
        List.iteri2 (fun j f r ->
            let expected = Array.append (shapeOf outs[i]) shapes[argnums[j]]
            if shapeOf f <> expected || shapeOf r <> expected then
                failwith $"d out{i} / d in{argnums[j]}: jacfwd {Aval.str (Value.aval f)}, jacrev {Aval.str (Value.aval r)}, expected shape {Shape.pyTuple expected}"
            expectClose $"d out{i} / d in{argnums[j]}: jacfwd against jacrev" 1e-10 [ floats f ] [ floats r ]) rowF rowR) fwd rev

// ---------------------------------------------------------------------------------------------
// Second order, on the sum of the outputs.

[<Property(MaxTest = Programs, Arbitrary = [| typeof<Cases> |])>]
let ``hessian is symmetric and matches finite differences of the gradient`` (c: WrtCase) =
    let p, shapes, x, argnums = c.Sample.Program, inputShapes c.Sample, point c.Sample, c.Argnums
    // a unit direction in the differentiated inputs; the others stay put
    let v = c.Sample.Normals 3 shapes |> List.mapi (fun i d -> if List.contains i argnums then d else Array.zeroCreate d.Length) |> normalized
    smooth (points h |> List.map (fun t -> run p shapes (along x t v))) ==> lazy (
        let hess = Api.hessian (total p) argnums (values shapes x) |> List.map (List.map floats)
        let sizes = argnums |> List.map (fun i -> Shape.size shapes[i])
        let scale = max 1.0 (hess |> List.map maxAbs |> List.fold max 0.0)
        /// d2 f / d in_j[a] d in_k[b], for the j-th and k-th argnums
        let block j k a b = (hess[j][k]).[a * sizes[k] + b]
        for j in 0 .. sizes.Length - 1 do
            for k in 0 .. sizes.Length - 1 do
                for a in 0 .. sizes[j] - 1 do
                    for b in 0 .. sizes[k] - 1 do
                        let hjk, hkj = block j k a b, block k j b a
                        if not (abs (hjk - hkj) <= 1e-9 * scale) then
                            failwith $"H[in{argnums[j]}][{a}][in{argnums[k]}][{b}] = {hjk:R} but H[in{argnums[k]}][{b}][in{argnums[j]}][{a}] = {hkj:R}"
        // H v, row block j: sum over k of H[j][k] (sizes j x k) times v's block k
        let hv = List.init sizes.Length (fun j -> Array.init sizes[j] (fun a -> List.sum [ for k in 0 .. sizes.Length - 1 do for b in 0 .. sizes[k] - 1 -> block j k a b * v[argnums[k]].[b] ]))
        let fd, bars = firstDerivative (fun t -> Api.grad (total p) argnums (values shapes (along x t v)) |> List.map floats)
        expectWithin "hessian times v against finite differences of the gradient" 1e-6 (Some bars) hv fd)

[<Property(MaxTest = Programs, Arbitrary = [| typeof<Cases> |])>]
let ``grad of grad matches finite differences`` (s: Sample) =
    let p, shapes, x = s.Program, inputShapes s, point s
    let v, w = normalized (s.Normals 3 shapes), normalized (s.Normals 6 shapes)
    // v' H w by the tensor product of the stencil with itself: 16 values of the sum of outputs
    let grid = [ for step in [ h2; h2 / 2.0 ] do for a in offsets do for b in offsets -> (step, a, b), run p shapes (along (along x (a * step) v) (b * step) w) ] |> dict
    smooth (List.ofSeq grid.Values) ==> lazy (
        let value (outs: float[] list) = outs |> List.sumBy Array.sum
        let mixed (step: float) =
            List.sum [ for i, a in List.zip stencil offsets do for j, b in List.zip stencil offsets -> i * j * value (fst grid[(step, a, b)]) ] / (step * step)
        let fd, bars = withErrorBar (fun step -> [ [| mixed step |] ]) h2
        let rounding = 1e-8 * (grid.Values |> Seq.map (fst >> value >> abs) |> Seq.max)
        let directional (xs: Value list) =
            let g = Api.grad (total p) (allInputs s) xs
            List.map2 (fun gi (wi, shape) -> A.sum None false (N.multiply gi (Concrete(NdArray.ofFloat64 shape wi)))) g (List.zip w shapes) |> List.reduce N.add
        let hw = Api.grad directional (allInputs s) (values shapes x) |> List.map floats
        let ad = dot v hw
        expectWithin "v' (grad of <grad, w>) against finite differences" 1e-6 (Some [ [| bars[0].[0] + rounding |] ]) [ [| ad |] ] fd)

// ---------------------------------------------------------------------------------------------
// Batching.

[<Property(MaxTest = Programs, MaxRejected = Programs, Arbitrary = [| typeof<Cases> |])>]
let ``vmap equals stacking f over examples`` (c: VmapCase) =
    let p = c.Sample.Program
    // axis -1 of the batched input: after the input's own axes
    let axes = List.map2 (fun (a: int option) (s: Spec) -> a |> Option.map (fun k -> if k < 0 then s.Shape.Length else k)) c.Axes p.Inputs
    let args = axes |> List.mapi (fun i a -> match a with Some k -> c.Sample.BatchedInput i c.Batch k | None -> c.Sample.Inputs[i])
    let example (b: int) = List.map2 (fun (a: int option) arg -> Concrete(match a with Some k -> VmapTests.take k b arg | None -> arg)) axes args
    let perExample = List.init c.Batch (fun b -> Program.toFunction p (example b) |> List.map concrete)
    // a kink within rounding of switching may switch between the batched and the per-example
    // evaluation, whose kernels round differently (e.g. log(exp(x)) > x): such cases are discarded
    let nearKink = List.init c.Batch (fun b -> Program.nearJump 1e-9 p (Program.evalAll p (example b) |> List.map concrete)) |> List.exists id
    not nearKink ==> lazy (
    let batched = Api.vmap (Program.toFunction p) c.Axes c.OutAxes (List.map Concrete args)
    List.iteri (fun j (out: Value) ->
        let pieces = perExample |> List.map (fun e -> e[j])
        let expected = VmapTests.stack (if c.OutLast[j] then pieces.Head.Aval.Shape.Length else 0) pieces
        if shapeOf out <> expected.Aval.Shape then
            failwith $"output {j}: vmap gives {Aval.str (Value.aval out)}, the loop {Aval.str expected.Aval}"
        expectClose $"output {j}: vmap against the loop" 1e-12 [ floats out ] [ NdArray.toFloats expected ]) batched)
