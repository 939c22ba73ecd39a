/// Properties of Backend.Interpreter's elementwise primitives: each result equals a naive
/// float64/int64 reference on random shapes (rank 0-3, dims 0-4, broadcasting included) and
/// values (edges included), has the type rule's aval, and every dtype the rule rejects raises a
/// CotangentException naming the primitive and the avals. Layout ops: InterpreterLayoutTests;
/// reductions, dot_general and evalJaxpr: InterpreterReductionTests.
module InterpreterTests

open System
open Xunit
open FsCheck.FSharp
open FsCheck.Xunit
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Backend
open InterpreterReference

let private floats = [ F32; F64 ]
let private numeric = [ I32; U32; F32; F64 ]

/// `run` raises a CotangentException whose message names the primitive and every input aval.
let rejects (prim: string) (inputs: NdArray list) (run: unit -> NdArray list) =
    let e = Assert.Throws<CotangentException>(fun () -> run () |> ignore)
    Assert.Contains(prim, e.Message)
    for a in inputs do
        Assert.Contains(Aval.str a.Aval, e.Message)

let private one (results: NdArray list) = List.exactlyOne results
let private ofBool b = if b then 1.0 else 0.0

let private noFloat (_: float) : float = failwith "no float reference"
let private noInt (_: int64) : int64 = failwith "no integer reference"
let private noBool (_: bool) : bool = failwith "no bool reference"

/// A primitive's reference on each dtype class it accepts; `Predicate` ops return bool.
type UnaryCase =
    { Prim: Prim
      Accepts: DType list
      Accuracy: Accuracy
      Float: float -> float
      Int: int64 -> int64
      Bool: bool -> bool
      Predicate: bool }

let private unary prim accepts accuracy f i b =
    { Prim = prim; Accepts = accepts; Accuracy = accuracy; Float = f; Int = i; Bool = b; Predicate = false }

/// Sums of `term k` for k = 1..16: the Taylor series, accurate to float64 for |x| < 0.01.
let private series (term: int -> float) = List.sumBy term [ 1..16 ]

let private log1pRef (x: float) =
    if abs x < 0.01 then series (fun k -> (if k % 2 = 1 then 1.0 else -1.0) * x ** float k / float k)
    else Math.Log(1.0 + x)

let private expm1Ref (x: float) =
    if abs x < 0.01 then series (fun k -> x ** float k / (List.fold (*) 1.0 [ 1.0 .. float k ]))
    else Math.Exp x - 1.0

/// x^y by |y| multiplications (then a reciprocal for y < 0): the naive definition.
let private powRef (y: int) (x: float) =
    let p = List.fold (fun acc _ -> acc * x) 1.0 [ 1 .. abs y ]
    if y < 0 then 1.0 / p else p

let private intPowRef (y: int) (x: int64) = List.fold (fun acc _ -> int64 (int32 (acc * x))) 1L [ 1..y ]

let unaryCases (y: int) =
    [ unary Neg numeric Exact (fun x -> -x) (fun i -> -i) noBool
      unary Sign numeric Exact (fun x -> if Double.IsNaN x || x = 0.0 then x else float (Math.Sign x)) (fun i -> int64 (Math.Sign i)) noBool
      unary Floor floats Exact Math.Floor noInt noBool
      unary Ceil floats Exact Math.Ceiling noInt noBool
      unary (Round AwayFromZero) floats Exact (fun x -> Math.Round(x, MidpointRounding.AwayFromZero)) noInt noBool
      unary (Round ToNearestEven) floats Exact (fun x -> Math.Round(x, MidpointRounding.ToEven)) noInt noBool
      { unary IsFinite floats Exact (fun x -> ofBool (Double.IsFinite x)) noInt noBool with Predicate = true }
      unary Exp floats Approx Math.Exp noInt noBool
      unary Log floats Approx Math.Log noInt noBool
      unary Log1p floats Approx log1pRef noInt noBool
      unary Expm1 floats Approx expm1Ref noInt noBool
      unary Sin floats Bounded Math.Sin noInt noBool
      unary Cos floats Bounded Math.Cos noInt noBool
      unary Tan floats Bounded Math.Tan noInt noBool
      unary Tanh floats Bounded Math.Tanh noInt noBool
      unary Logistic floats Bounded (fun x -> 1.0 / (1.0 + Math.Exp(-x))) noInt noBool
      unary Sqrt floats Exact Math.Sqrt noInt noBool
      unary Rsqrt floats Approx (fun x -> 1.0 / Math.Sqrt x) noInt noBool
      unary Abs [ I32; F32; F64 ] Exact Math.Abs (fun i -> abs i) noBool
      // JAX rejects integers raised to negative powers.
      unary (IntegerPow y) (if y < 0 then floats else numeric) Approx (powRef y) (intPowRef y) noBool
      unary Not [ Bool; I32; U32 ] Exact noFloat (fun i -> -i - 1L) not ]

let private genUnary =
    gen {
        let! dtype = genDType
        let! shape = genShape
        let! x = genArray dtype shape
        let! y = Gen.choose (-4, 9)
        return x, y
    }

[<Property>]
let ``every unary primitive agrees with its float64 or int64 reference and rejects the dtypes JAX rejects`` () =
    forAll genUnary (fun (x, y) ->
        let dtype = x.Aval.DType
        for case in unaryCases y do
            let what = $"{case.Prim}"
            let run () = Interpreter.eval case.Prim [ x ]
            if List.contains dtype case.Accepts then
                let reference (v: float) =
                    match dtype with
                    | Bool -> ofBool (case.Bool (v <> 0.0))
                    | I32 | U32 -> wrap dtype (case.Int (int64 v))
                    | F32 | F64 -> if case.Predicate then case.Float v else round dtype (case.Float v)
                let result = one (run ())
                let outDType = if case.Predicate then Bool else dtype
                agree what [ x ] outDType (shapeOf x) (fun _ -> case.Accuracy) (Array.map reference (NdArray.toFloats x)) result
                Assert.Equal(x.Aval.Weak && not case.Predicate, result.Aval.Weak)
            else
                rejects (Lax.name case.Prim) [ x ] run)

/// A binary primitive's reference; a `Comparison` applies `Float` to every dtype's values.
type BinaryCase =
    { Prim: Prim
      Accepts: DType list
      Accuracy: Accuracy
      Float: float -> float -> float
      Int: int64 -> int64 -> int64
      Bool: bool -> bool -> bool
      Comparison: bool }

let private binary prim accepts accuracy f i b =
    { Prim = prim; Accepts = accepts; Accuracy = accuracy; Float = f; Int = i; Bool = b; Comparison = false }

let private comparison prim (test: float -> float -> bool) =
    { binary prim DType.all Exact (fun a b -> ofBool (test a b)) (fun _ _ -> 0L) (fun _ _ -> false) with Comparison = true }

let private noFloat2 (_: float) (_: float) : float = failwith "no float reference"
let private noInt2 (_: int64) (_: int64) : int64 = failwith "no integer reference"
let private noBool2 (_: bool) (_: bool) : bool = failwith "no bool reference"

/// C's fmod from the exact IEEE remainder (nearest quotient), moved by |y| to take x's sign.
let private fmodRef (x: float) (y: float) =
    let r = Math.IEEERemainder(x, y)
    if x >= 0.0 && r < 0.0 then r + abs y
    elif x < 0.0 && r > 0.0 then r - abs y
    elif r = 0.0 then (if x < 0.0 then -0.0 else 0.0)
    else r

let private nanOr (pick: float -> float -> float) (a: float) (b: float) =
    if Double.IsNaN a || Double.IsNaN b then nan else pick a b

let binaryCases =
    [ binary Pow floats Approx (fun a b -> Math.Pow(a, b)) noInt2 noBool2
      binary Add numeric Exact (+) (+) noBool2
      binary Sub numeric Exact (-) (-) noBool2
      binary Mul numeric Exact (*) (*) noBool2
      // XLA's integer division by zero gives -1 (all ones); remainder by zero gives the dividend.
      binary Div numeric Exact (/) (fun a b -> if b = 0L then -1L else a / b) noBool2
      binary Rem numeric Exact fmodRef (fun a b -> if b = 0L then a else a % b) noBool2
      binary Max DType.all Exact (nanOr max) max (||)
      binary Min DType.all Exact (nanOr min) min (&&)
      binary Atan2 floats Bounded (fun a b -> Math.Atan2(a, b)) noInt2 noBool2
      comparison Eq (=)
      comparison Ne (<>)
      comparison Lt (<)
      comparison Le (<=)
      comparison Gt (>)
      comparison Ge (>=)
      binary And [ Bool; I32; U32 ] Exact noFloat2 (&&&) (&&)
      binary Or [ Bool; I32; U32 ] Exact noFloat2 (|||) (||)
      binary AddAny DType.all Exact (+) (+) (||) ]

/// Two operands of one dtype that broadcast to a common shape: rank 0 or size-1 dims included.
let private genBinary =
    gen {
        let! dtype = genDType
        let! shape = genShape
        let! xShape = genBroadcastable shape
        let! yShape = genBroadcastable shape
        let! x = genArray dtype xShape
        let! y = genArray dtype yShape
        return x, y
    }

[<Property>]
let ``every binary primitive broadcasts and agrees with its reference, and rejects the dtypes JAX rejects`` () =
    forAll genBinary (fun (x, y) ->
        let dtype = x.Aval.DType
        let shape = broadcastShapes [ shapeOf x; shapeOf y ]
        for case in binaryCases do
            let run () = Interpreter.eval case.Prim [ x; y ]
            if List.contains dtype case.Accepts then
                let reference (index: int list) =
                    let a, b = broadcastAt x index, broadcastAt y index
                    match dtype with
                    | _ when case.Comparison -> case.Float a b
                    | Bool -> ofBool (case.Bool (a <> 0.0) (b <> 0.0))
                    | I32 | U32 -> wrap dtype (case.Int (int64 a) (int64 b))
                    | F32 | F64 -> round dtype (case.Float a b)
                let result = one (run ())
                let outDType = if case.Comparison then Bool else dtype
                let expected = indices shape |> List.map reference |> Array.ofList
                agree $"{case.Prim}" [ x; y ] outDType shape (fun _ -> case.Accuracy) expected result
                Assert.Equal(x.Aval.Weak && y.Aval.Weak && not case.Comparison, result.Aval.Weak)
            else
                rejects (Lax.name case.Prim) [ x; y ] run)

[<Property>]
let ``binary primitives reject operands of different dtypes, naming both avals`` () =
    let genPair =
        gen {
            let! dtypes = Gen.shuffle DType.all
            let! shape = genShape
            let! x = genArray dtypes[0] shape
            let! y = genArray dtypes[1] shape
            return x, y
        }
    forAll genPair (fun (x, y) ->
        for case in binaryCases do
            rejects (Lax.name case.Prim) [ x; y ] (fun () -> Interpreter.eval case.Prim [ x; y ]))

[<Property>]
let ``select_n picks case which[i] per element, with a scalar or elementwise predicate`` () =
    let genSelect =
        gen {
            let! dtype = genDType
            let! shape = genShape
            let! boolPredicate = Gen.elements [ true; false ]
            let! count = if boolPredicate then Gen.constant 2 else Gen.choose (1, 4)
            let! predShape = Gen.elements [ []; shape ]
            let! which =
                if boolPredicate then genArray Bool predShape
                else genArrayFrom (Gen.choose (0, count - 1) |> Gen.map float) I32 predShape
            let! cases = Gen.sequenceToList (List.replicate count (genArray dtype shape))
            return which, cases
        }
    forAll genSelect (fun (which, cases) ->
        let case0 = cases.Head
        let expected =
            indices (shapeOf case0)
            |> List.map (fun index -> at cases[int (broadcastAt which index)] index)
            |> Array.ofList
        let result = one (Interpreter.eval SelectN (which :: cases))
        agree "select_n" (which :: cases) case0.Aval.DType (shapeOf case0) (fun _ -> Exact) expected result
        Assert.Equal(cases |> List.forall (fun c -> c.Aval.Weak), result.Aval.Weak))

[<Fact>]
let ``select_n clamps an out-of-range int32 predicate to the first or last case`` () =
    let which = NdArray.ofInt32 [| 3 |] [| -5; 1; 9 |]
    let cases = [ NdArray.full F32 [| 3 |] 10.0; NdArray.full F32 [| 3 |] 20.0; NdArray.full F32 [| 3 |] 30.0 ]
    let result = one (Interpreter.eval SelectN (which :: cases))
    Assert.Equal<float[]>([| 10.0; 20.0; 30.0 |], NdArray.toFloats result)

/// The cast XLA's convert_element_type performs, from float64 values: floats to integers
/// truncate, NaN goes to 0 and the rest saturates; integers wrap; anything to bool is x <> 0.
let private convertRef (source: DType) (target: DType) (v: float) =
    let saturate lo hi = if Double.IsNaN v then 0.0 else Math.Clamp(Math.Truncate v, lo, hi)
    match target with
    | Bool -> ofBool (v <> 0.0)
    | I32 -> if DType.isFloat source then saturate (float Int32.MinValue) (float Int32.MaxValue) else wrap I32 (int64 v)
    | U32 -> if DType.isFloat source then saturate 0.0 (float UInt32.MaxValue) else wrap U32 (int64 v)
    | F32 -> float (float32 v)
    | F64 -> v

[<Property>]
let ``convert_element_type casts every dtype to every dtype as XLA does`` () =
    let genConvert =
        gen {
            let! source = genDType
            let! target = genDType
            let! shape = genShape
            let! x = genArray source shape
            let! weak = Gen.elements [ false; true ]
            return x, target, weak
        }
    forAll genConvert (fun (x, target, weak) ->
        let result = one (Interpreter.eval (ConvertElementType(target, weak)) [ x ])
        let expected = NdArray.toFloats x |> Array.map (convertRef x.Aval.DType target)
        agree $"convert to {target}" [ x ] target (shapeOf x) (fun _ -> Exact) expected result
        Assert.Equal(weak, result.Aval.Weak))

[<Fact>]
let ``integer division and remainder by zero and of MIN by -1 do not trap`` () =
    let x = NdArray.ofInt32 [| 4 |] [| 7; -7; Int32.MinValue; Int32.MinValue |]
    let y = NdArray.ofInt32 [| 4 |] [| 0; 0; -1; 0 |]
    Assert.Equal<float[]>([| -1.0; -1.0; float Int32.MinValue; -1.0 |], NdArray.toFloats (one (Interpreter.eval Div [ x; y ])))
    Assert.Equal<float[]>([| 7.0; -7.0; 0.0; float Int32.MinValue |], NdArray.toFloats (one (Interpreter.eval Rem [ x; y ])))
    let u = NdArray.ofUInt32 [| 1 |] [| 5u |]
    let z = NdArray.ofUInt32 [| 1 |] [| 0u |]
    Assert.Equal<float[]>([| float UInt32.MaxValue |], NdArray.toFloats (one (Interpreter.eval Div [ u; z ])))

[<Property>]
let ``type rules reject what JAX rejects, naming the primitive and the avals`` () =
    let genCase =
        gen {
            let! rank = Gen.choose (1, 3)
            let! shape = genShapeOfRank rank
            let! k = Gen.choose (0, rank - 1)
            let! d = Gen.choose (2, 4)
            let! e = Gen.choose (1, 3)
            return shape, k, d, e
        }
    forAll genCase (fun (shape, k, d, e) ->
        let f32 s = NdArray.full F32 (Array.ofList s) 1.0
        let replaced (s: int list) v = s |> List.mapi (fun i x -> if i = k then v else x)
        // add of f32[..d..] and f32[..d+e..]: neither dimension is 1, so they do not broadcast
        let x, y = f32 (replaced shape d), f32 (replaced shape (d + e))
        rejects "add" [ x; y ] (fun () -> Interpreter.eval Add [ x; y ])
        // reduce axis out of range
        let z = f32 shape
        rejects "reduce_sum" [ z ] (fun () -> Interpreter.eval (ReduceSum [ shape.Length + e - 1 ]) [ z ])
        // dot_general contracting sizes differ
        let lhs, rhs = f32 [ 2; d ], f32 [ d + e; 3 ]
        let dims = { LhsContract = [ 1 ]; RhsContract = [ 0 ]; LhsBatch = []; RhsBatch = [] }
        rejects "dot_general" [ lhs; rhs ] (fun () -> Interpreter.eval (DotGeneral(dims, None)) [ lhs; rhs ])
        // dot_general of floats cannot prefer an integer result
        let rhs = f32 [ d; 3 ]
        rejects "dot_general" [ lhs; rhs ] (fun () -> Interpreter.eval (DotGeneral(dims, Some I32)) [ lhs; rhs ])
        // reshape to a different number of elements
        rejects "reshape" [ z ] (fun () -> Interpreter.eval (Reshape [ size shape + e ]) [ z ])
        // add of f32 and i32 (no implicit promotion in lax)
        let i = NdArray.full I32 (Array.ofList shape) 1.0
        rejects "add" [ z; i ] (fun () -> Interpreter.eval Add [ z; i ])
        // exp of an int, integer_pow of an int to a negative power
        rejects "exp" [ i ] (fun () -> Interpreter.eval Exp [ i ])
        rejects "integer_pow" [ i ] (fun () -> Interpreter.eval (IntegerPow -e) [ i ])
        // argmax over an empty axis has no answer
        let empty = NdArray.full F32 (Array.ofList (replaced shape 0)) 1.0
        rejects "argmax" [ empty ] (fun () -> Interpreter.eval (Argmax([ k ], I32)) [ empty ]))
