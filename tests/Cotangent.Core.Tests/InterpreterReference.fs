/// Test support for InterpreterTests: FsCheck generators of shapes and arrays (edge values
/// included), naive row-major indexing written independently of Cotangent's Shape module, and
/// dtype-aware comparison. References compute in float64 (floats) or int64 (integers, wrapped to
/// 32 bits at the end), so they share no code with the kernels under test.
module InterpreterReference

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Backend

// ---- naive row-major indexing ----------------------------------------------------------------

/// Every multi-index of `shape`, last coordinate fastest (row-major order).
let rec indices (shape: int list) : int list list =
    match shape with
    | [] -> [ [] ]
    | d :: rest -> [ for i in 0 .. d - 1 do for tail in indices rest -> i :: tail ]

/// The row-major flat position of `index` within `shape` (Horner's rule).
let flat (shape: int list) (index: int list) = List.fold2 (fun acc d i -> acc * d + i) 0 shape index

let size (shape: int list) = List.fold (*) 1 shape

let shapeOf (a: NdArray) = List.ofArray a.Aval.Shape

/// Element at a multi-index, as float64 (exact for every dtype).
let at (a: NdArray) (index: int list) = NdArray.item (flat (shapeOf a) index) a

// ---- values -----------------------------------------------------------------------------------

/// Wraps an int64 result to the 32-bit dtype, as two's-complement hardware does.
let wrap (dtype: DType) (v: int64) : float =
    match dtype with
    | I32 -> float (int32 v)
    | U32 -> float (uint32 v)
    | Bool | F32 | F64 -> float v

/// A float64 result rounded to the dtype it is compared in.
let round (dtype: DType) (v: float) : float =
    match dtype with
    | F32 -> float (float32 v)
    | Bool | I32 | U32 | F64 -> v

/// How closely a float result must match: exactly (correctly rounded ops and everything on
/// integers), or within relative + absolute tolerances that depend on the dtype.
type Accuracy =
    | Exact
    | Approx // transcendental: a few ulps, relative
    | Bounded // a few ulps of a result bounded by ~1 (sin, tanh, atan2...): absolute near zeros
    | Summed of magnitude: float // accumulated: relative to the sum of |terms|

let tolerance (accuracy: Accuracy) (dtype: DType) : float * float =
    match dtype, accuracy with
    | (Bool | I32 | U32), _ -> 0.0, 0.0
    | _, Exact -> 0.0, 0.0
    | F32, Approx -> 1e-6, 1e-37
    | F64, Approx -> 1e-12, 1e-300
    | F32, Bounded -> 1e-6, 1e-6
    | F64, Bounded -> 1e-12, 1e-15
    | F32, Summed m -> 0.0, 1e-5 * m + 1e-37
    | F64, Summed m -> 0.0, 1e-12 * m + 1e-300

/// NaN matches NaN, infinities match exactly, others within the tolerance.
let close (accuracy: Accuracy) (dtype: DType) (expected: float) (actual: float) =
    let rel, abs' = tolerance accuracy dtype
    if Double.IsNaN expected then Double.IsNaN actual
    elif Double.IsInfinity expected || Double.IsInfinity actual then expected = actual
    else abs (expected - actual) <= rel * abs expected + abs'

/// Fails with the primitive, the inputs and the first mismatching element when `actual` differs
/// from `expected` (row-major float64 values) or does not have the expected dtype and shape.
let agree (what: string) (inputs: NdArray list) (dtype: DType) (shape: int list) (accuracy: int -> Accuracy) (expected: float[]) (actual: NdArray) =
    let describe () =
        let show (a: NdArray) =
            let weak = if a.Aval.Weak then " weak" else ""
            $"{Aval.str a.Aval}{weak} %A{NdArray.toFloats a}"
        String.Join("; ", inputs |> List.map show)
    if actual.Aval.DType <> dtype || shapeOf actual <> shape then
        failwith $"{what}: got {Aval.str actual.Aval}, expected {DType.shortName dtype}{shape} for inputs {describe ()}"
    let got = NdArray.toFloats actual
    for i in 0 .. expected.Length - 1 do
        if not (close (accuracy i) dtype expected[i] got[i]) then
            failwith $"{what}: element {i} is {got[i]:R}, expected {expected[i]:R} for inputs {describe ()}"

// ---- generators ------------------------------------------------------------------------------

/// Dimensions 0..4, mostly non-empty so arrays have content.
let genDim = Gen.frequency [ 1, Gen.constant 0; 2, Gen.constant 1; 6, Gen.choose (2, 4) ]

let genShapeOfRank (rank: int) = Gen.sequenceToList (List.replicate rank genDim)
let genShape = Gen.choose (0, 3) |> Gen.bind genShapeOfRank

let floatEdges =
    [ 0.0; -0.0; 1.0; -1.0; 0.5; -0.5; 1.5; 2.5; -2.5; infinity; -infinity; nan; 1e-30; -1e-30; 1e-40; 1e20; -1e20; 3e38; -3e38 ]

let private genWide =
    Gen.map2 (fun (m: int) (e: int) -> float m / 100.0 * 10.0 ** float e) (Gen.choose (-999, 999)) (Gen.choose (-20, 20))

let private genSmall = Gen.choose (-1_000_000, 1_000_000) |> Gen.map (fun i -> float i / 100_000.0)

let private genBits = Gen.map2 (fun (hi: int) (lo: int) -> (hi <<< 16) ||| lo) (Gen.choose (0, 65535)) (Gen.choose (0, 65535))

/// Values of a dtype as float64: edge values, small values, and (for floats) a wide range.
/// `tame` leaves out the near-overflow edges, for ops whose f32 rounding depends on summation order.
let genValueWith (tame: bool) (dtype: DType) : Gen<float> =
    match dtype with
    | Bool -> Gen.elements [ 0.0; 1.0 ]
    | I32 ->
        Gen.frequency
            [ 2, Gen.elements [ 0.0; 1.0; -1.0; 2.0; -2.0; float Int32.MaxValue; float Int32.MinValue ]
              3, Gen.choose (-10, 10) |> Gen.map float
              2, Gen.choose (-100, 100) |> Gen.map float
              1, genBits |> Gen.map float ]
    | U32 ->
        Gen.frequency
            [ 2, Gen.elements [ 0.0; 1.0; 2.0; float UInt32.MaxValue; 2147483648.0 ]
              3, Gen.choose (0, 10) |> Gen.map float
              2, Gen.choose (0, 200) |> Gen.map float
              1, genBits |> Gen.map (fun b -> float (uint32 b)) ]
    | F32 | F64 ->
        let edges = if tame then floatEdges |> List.filter (fun x -> abs x < 1e30) else floatEdges
        Gen.frequency [ 2, Gen.elements edges; 6, genSmall; 1, genWide ]

let genValue dtype = genValueWith false dtype

/// An array of the dtype and shape from `values`, weak-typed half the time.
let genArrayFrom (values: Gen<float>) (dtype: DType) (shape: int list) : Gen<NdArray> =
    gen {
        let! xs = Gen.sequenceToArray (Array.replicate (size shape) values)
        let! weak = Gen.elements [ false; true ]
        return NdArray.ofFloats dtype (Array.ofList shape) xs |> NdArray.withWeak weak
    }

let genArray dtype shape = genArrayFrom (genValue dtype) dtype shape

let genDType = Gen.elements DType.all
let genNumeric = Gen.elements [ I32; U32; F32; F64 ]

/// A shape that broadcasts to `shape` under lax's rule: rank 0, or each dimension kept or 1.
let genBroadcastable (shape: int list) : Gen<int list> =
    Gen.frequency
        [ 1, Gen.constant []
          3, shape |> List.map (fun d -> Gen.elements [ d; 1 ]) |> Gen.sequenceToList ]

/// The elementwise output shape of operands that broadcast together: rank 0 if all are; else
/// per dimension the size of any operand whose size is not 1 (or 1).
let broadcastShapes (shapes: int list list) =
    match shapes |> List.filter (fun s -> not s.IsEmpty) with
    | [] -> []
    | (first :: _) as shaped ->
        List.init first.Length (fun k ->
            match shaped |> List.map (fun s -> s[k]) |> List.filter (fun d -> d <> 1) with
            | [] -> 1
            | d :: _ -> d)

/// The operand's element that output index `index` reads under broadcasting.
let broadcastAt (a: NdArray) (index: int list) =
    let shape = shapeOf a
    if shape.IsEmpty then NdArray.item 0 a
    else at a (List.map2 (fun d i -> if d = 1 then 0 else i) shape index)

let genPermutation (n: int) = Gen.shuffle [ 0 .. n - 1 ] |> Gen.map List.ofArray

/// Runs the property over `gen` (FsCheck 3's forAll over a shrink-less Arbitrary).
let forAll (gen: Gen<'a>) (body: 'a -> unit) = Prop.forAll (Arb.fromGen gen) body

/// Runs `prim` and checks the result against `reference` (a value per output multi-index) with
/// the expected dtype and shape, and its aval against the type rule's.
let check (prim: Prim) (args: NdArray list) (dtype: DType) (shape: int list) (accuracy: int list -> Accuracy) (reference: int list -> float) =
    let result = List.exactlyOne (Interpreter.eval prim args)
    let all = indices shape
    let expected = all |> List.map reference |> Array.ofList
    let accuracies = all |> List.map accuracy |> Array.ofList
    agree $"{prim}" args dtype shape (fun i -> accuracies[i]) expected result
    Assert.Equal(List.exactlyOne (LaxTypes.abstractEval prim (args |> List.map (fun a -> a.Aval))), result.Aval)

let exact (_: int list) = Exact
