/// Emitted Compute against Interpreter.eval, one case per (elementwise primitive, operand dtypes)
/// the type rule accepts: scalar code equals the interpreter on rank-0 arrays bit for bit (NaN =
/// NaN) on a grid of edge values (±0, ±inf, NaN, INT_MIN, ...) and on random FsCheck inputs;
/// vector code equals scalar code lane by lane for every op `canVectorize` admits.
module EmitScalarTests

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Dialects.Loop
open Cotangent.Core.Dialects.Vec
open Cotangent.Core.Backend
open EmitTests

let private unaryPrims =
    [ Neg; Sign; Floor; Ceil; Round AwayFromZero; Round ToNearestEven; IsFinite; Exp; Log; Log1p; Expm1; Sin; Cos
      Tan; Tanh; Logistic; Sqrt; Rsqrt; Abs; Not ]
    @ [ for y in [ 0; 1; 2; 3; 5; 8; -1; -2; -3 ] -> IntegerPow y ]
    @ [ for t in DType.all -> ConvertElementType(t, false) ]

let private binaryPrims = [ Pow; Add; Sub; Mul; Div; Rem; Max; Min; Atan2; Eq; Ne; Lt; Le; Gt; Ge; And; Or; AddAny ]

let private accepts (prim: Prim) (dtypes: DType list) =
    try
        LaxTypes.abstractEval prim (List.map Aval.scalar dtypes) |> ignore
        true
    with :? CotangentException -> false

/// Every (primitive, operand dtypes) the type rules accept.
let cases: (Prim * DType list) list =
    [ for p in unaryPrims do
          for d in DType.all -> p, [ d ]
      for p in binaryPrims do
          for d in DType.all -> p, [ d; d ]
      for d in DType.all -> SelectN, [ Bool; d; d ]
      for d in DType.all -> SelectN, [ I32; d; d; d ] ]
    |> List.filter (fun (p, ds) -> accepts p ds)

/// out[i] = prim(in0[i], in1[i], ...) for i < m, as a scalar loop.
let private scalarProgram (prim: Prim) (dtypes: DType list) (m: int) =
    let ins = dtypes |> List.mapi (fun k d -> buffer (Arg k) d [| m |])
    let outDtype = (LaxTypes.abstractEval prim (List.map Aval.scalar dtypes)).Head.DType
    let out = buffer (Result 0) outDtype [| m |]
    let iv = Var.fresh (Aval.scalar I32)
    let loads = ins |> List.map (fun b -> Var.fresh (Aval.scalar b.Aval.DType), b)
    let r = Var.fresh (Aval.scalar outDtype)
    let body =
        [ for v, b in loads -> Load(v, b, { Offset = 0; Terms = [ iv, 1 ] }) ]
        @ [ Compute(r, prim, loads |> List.map (fst >> Var)); Store(out, { Offset = 0; Terms = [ iv, 1 ] }, Var r) ]
    { Args = ins; Consts = []; Temps = []; Results = [ out ]
      Body = [ For { Iv = iv; Lo = 0; Hi = m; Step = 1; Parallel = false; Carried = []; Body = body; Yield = []; Results = [] } ] }

let private element (a: NdArray) (i: int) : NdArray =
    let data =
        match a.Data with
        | BoolData d -> BoolData [| d[i] |]
        | I32Data d -> I32Data [| d[i] |]
        | U32Data d -> U32Data [| d[i] |]
        | F32Data d -> F32Data [| d[i] |]
        | F64Data d -> F64Data [| d[i] |]
    { Aval = Aval.scalar a.Aval.DType; Data = data }

/// The compiled program's output equals Interpreter.eval on each element's rank-0 arrays.
let private agrees (prim: Prim) (exe: Runtime.Executable) (inputs: NdArray list) =
    let actual = (exe.Run inputs).Head
    let m = Aval.size actual.Aval
    [ 0 .. m - 1 ] |> List.forall (fun i ->
        let expected = Interpreter.eval prim (inputs |> List.map (fun a -> element a i)) |> List.head
        sameBits expected (element actual i)
        || (printfn $"{name prim} on {inputs |> List.map (fun a -> NdArray.item i a)}: {NdArray.item 0 expected} <> {NdArray.item i actual}"; false))

let floatEdges =
    [ 0.0; -0.0; 1.0; -1.0; 0.5; -0.5; 1.5; 2.5; -2.5; 3.0; -7.25; 0.1; 1e-40; 1e-320; 3.0e38; 1e300; -1e300
      infinity; -infinity; nan; 2147483647.0; 2147483648.0; -2147483649.0; 4294967296.0; 20.0; -20.0; 710.0 ]
let intEdges = [ Int32.MinValue; Int32.MaxValue; Int32.MinValue + 1; 0; 1; -1; 2; -2; 3; 7; 31; 32; 33 ]

let private column (dtype: DType) (values: int list) : NdArray =
    let n = values.Length
    match dtype with
    | Bool -> NdArray.ofBool [| n |] (values |> List.map (fun k -> k % 2 = 1) |> Array.ofList)
    | I32 -> NdArray.ofInt32 [| n |] (values |> List.map (fun k -> intEdges[k % intEdges.Length]) |> Array.ofList)
    | U32 -> NdArray.ofUInt32 [| n |] (values |> List.map (fun k -> uint32 intEdges[k % intEdges.Length]) |> Array.ofList)
    | F32 -> NdArray.ofFloat32 [| n |] (values |> List.map (fun k -> float32 floatEdges[k % floatEdges.Length]) |> Array.ofList)
    | F64 -> NdArray.ofFloat64 [| n |] (values |> List.map (fun k -> floatEdges[k % floatEdges.Length]) |> Array.ofList)

[<Fact>]
let ``emitted scalar compute equals Interpreter.eval on every edge value`` () =
    let failures = ResizeArray<string>()
    for prim, dtypes in cases do
        let edges = floatEdges.Length * intEdges.Length
        // unary: every edge; binary: every pair; select_n: every predicate against a few cases
        let grid =
            match dtypes.Length with
            | 1 -> [ [ for k in 0 .. edges - 1 -> k ] ]
            | 2 -> [ [ for a in 0 .. edges - 1 do for _ in 0 .. 26 -> a ]; [ for _ in 0 .. edges - 1 do for b in 0 .. 26 -> b ] ]
            | k -> [ for j in 0 .. k - 1 -> [ for a in 0 .. 40 -> if j = 0 then a else a * (j + 3) + j ] ]
        let inputs = List.map2 column dtypes grid
        let exe = Runtime.compile (scalarProgram prim dtypes (List.head grid).Length)
        if not (agrees prim exe inputs) then failures.Add $"{name prim} {dtypes}"
    Assert.True(failures.Count = 0, String.Join("; ", failures))

let private valueGen (dtype: DType) : Gen<float> =
    match dtype with
    | Bool -> Gen.elements [ 0.0; 1.0 ]
    | I32 | U32 -> Gen.frequency [ 1, Gen.elements (List.map float intEdges); 3, Gen.choose (-100, 100) |> Gen.map float; 1, Gen.choose (Int32.MinValue, Int32.MaxValue) |> Gen.map float ]
    | F32 | F64 ->
        Gen.frequency [ 1, Gen.elements floatEdges
                        4, Gen.map2 (fun m e -> float m * 2.0 ** float e) (Gen.choose (-(1 <<< 20), 1 <<< 20)) (Gen.choose (-40, 20)) ]

let private inputsGen (dtypes: DType list) (m: int) : Gen<NdArray list> =
    dtypes |> List.map (fun d ->
        Gen.arrayOfLength m (valueGen d) |> Gen.map (fun xs ->
            match d with
            | U32 -> NdArray.ofUInt32 [| m |] (xs |> Array.map (fun x -> uint32 (int64 x)))
            | _ -> NdArray.ofFloats d [| m |] xs))
    |> Gen.sequenceToList

let private compiled = lazy (cases |> List.map (fun (p, ds) -> p, ds, Runtime.compile (scalarProgram p ds 16)) |> Array.ofList)

[<Property(MaxTest = 400)>]
let ``emitted scalar compute equals Interpreter.eval bit for bit`` () =
    let gen = gen {
        let! k = Gen.choose (0, compiled.Value.Length - 1)
        let p, ds, _ = compiled.Value[k]
        let! inputs = inputsGen ds 16
        return k, inputs }
    Prop.forAll (Arb.fromGen gen) (fun (k, inputs) ->
        let p, ds, exe = compiled.Value[k]
        agrees p exe inputs |> Prop.label $"{name p} {ds}")

/// The one-op expression of a vectorizable case, with a select_n around comparisons (masks
/// cannot be stored) and mask ops composed of comparisons.
let private vectorExpr (prim: Prim) : Expr option =
    match prim with
    | Eq | Ne | Lt | Le | Gt | Ge -> Some [ prim, [ In 0; In 1 ]; SelectN, [ Tmp 0; In 0; In 1 ] ]
    | IsFinite -> Some [ prim, [ In 0 ]; SelectN, [ Tmp 0; In 1; In 0 ] ]
    | Not -> Some [ Lt, [ In 0; In 1 ]; Not, [ Tmp 0 ]; SelectN, [ Tmp 1; In 0; In 1 ] ]
    | And | Or -> Some [ Lt, [ In 0; In 1 ]; Gt, [ In 0; Const 0.0 ]; prim, [ Tmp 0; Tmp 1 ]; SelectN, [ Tmp 2; In 0; In 1 ] ]
    | SelectN -> Some [ Le, [ In 0; Const 1.0 ]; SelectN, [ Tmp 0; In 0; In 1 ] ]
    | Pow | Add | Sub | Mul | Div | Rem | Max | Min | Atan2 | AddAny -> Some [ prim, [ In 0; In 1 ] ]
    | _ -> Some [ prim, [ In 0 ] ]

let private exactInVectors (prim: Prim) =
    match prim with
    | Exp | Log | Sin | Cos | Tan | Tanh | Log1p | Expm1 | Pow | Atan2 | Logistic -> false
    | _ -> true

[<Fact>]
let ``vector compute equals scalar compute lane by lane`` () =
    let failures = ResizeArray<string>()
    let n = floatEdges.Length * floatEdges.Length + 5
    for dtype in [ F32; F64 ] do
        for prim in unaryPrims @ binaryPrims @ [ SelectN ] do
            let maskOp = prim = Not || prim = And || prim = Or
            if EmitVector.canVectorize prim (if maskOp then Bool else dtype) then
                let expr = (vectorExpr prim).Value
                let xs = [ NdArray.ofFloats dtype [| n |] (Array.init n (fun i -> floatEdges[i / floatEdges.Length % floatEdges.Length]))
                           NdArray.ofFloats dtype [| n |] (Array.init n (fun i -> floatEdges[i % floatEdges.Length])) ]
                let scalar = ((Runtime.compile (elementwise false false dtype expr 2 n)).Run xs).Head
                let vector = ((Runtime.compile (elementwise true false dtype expr 2 n)).Run xs).Head
                let ok =
                    if exactInVectors prim then sameBits scalar vector
                    else
                        // transcendentals: finite inputs of moderate size, to the documented tolerance
                        let ys = xs |> List.map (fun a -> NdArray.ofFloats dtype [| n |] (Array.init n (fun i -> Math.Clamp(NdArray.item i a, -30.0, 30.0) |> fun v -> if Double.IsNaN v || abs v > 1e30 then 0.5 else v)))
                        let ys = if prim = Log then ys |> List.map (fun a -> NdArray.ofFloats dtype [| n |] (NdArray.toFloats a |> Array.map (fun v -> abs v + 1e-3))) else ys
                        let s = ((Runtime.compile (elementwise false false dtype expr 2 n)).Run ys).Head
                        let v = ((Runtime.compile (elementwise true false dtype expr 2 n)).Run ys).Head
                        Array.forall2 (fun (a: float) (b: float) -> a = b || abs (a - b) <= (if dtype = F32 then 4e-6 else 1e-13) * max 1.0 (abs a)) (NdArray.toFloats s) (NdArray.toFloats v)
                if not ok then failures.Add $"{name prim} {dtype}"
    Assert.True(failures.Count = 0, String.Join("; ", failures))
