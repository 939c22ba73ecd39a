/// Properties of Backend.Interpreter's reductions (reduce_*, argmax/argmin, cumsum),
/// dot_general and evalJaxpr: results equal naive folds over explicitly enumerated multi-indices,
/// float sums within a tolerance relative to the sum of |terms| (summation order is free).
module InterpreterReductionTests

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Backend
open InterpreterReference

let private numeric = [ I32; U32; F32; F64 ]

/// The full index of x that takes the kept coordinates from `kept` and the reduced ones (axes
/// in ascending order) from `reduced`.
let private merge (rank: int) (axes: int list) (kept: int list) (reduced: int list) =
    let rec go k kept reduced =
        if k = rank then []
        elif List.contains k axes then List.head reduced :: go (k + 1) kept (List.tail reduced)
        else List.head kept :: go (k + 1) (List.tail kept) reduced
    go 0 kept reduced

/// The elements x reduces into output index `kept` when reducing `axes`.
let private reducedElements (x: NdArray) (axes: int list) (kept: int list) =
    let shape = shapeOf x
    let sorted = List.sort axes
    indices (sorted |> List.map (fun a -> shape[a])) |> List.map (fun r -> at x (merge shape.Length sorted kept r))

let private keptShape (x: NdArray) (axes: int list) =
    shapeOf x |> List.indexed |> List.filter (fun (i, _) -> not (List.contains i axes)) |> List.map snd

let private genReduce (dtypes: DType list) (values: DType -> Gen<float>) =
    gen {
        let! dtype = Gen.elements dtypes
        let! shape = genShape
        let! x = genArrayFrom (values dtype) dtype shape
        let! axes = Gen.subListOf [ 0 .. shape.Length - 1 ]
        let! order = Gen.shuffle axes
        return x, List.ofArray order
    }

let private anyNaN (xs: float list) = xs |> List.exists Double.IsNaN
let private magnitude (xs: float list) = xs |> List.sumBy abs

/// A reduction's reference: `fold` over the reduced elements (float64 or int64), its accuracy.
let private reduction (prim: Prim) (fold: DType -> float list -> float) (accuracy: float list -> Accuracy) (x: NdArray) (axes: int list) =
    let dtype = x.Aval.DType
    check prim [ x ] dtype (keptShape x axes) (reducedElements x axes >> accuracy) (reducedElements x axes >> fold dtype)

let private sumRef dtype (xs: float list) =
    match dtype with
    | I32 | U32 -> wrap dtype (xs |> List.fold (fun acc v -> acc + int64 v) 0L) // List.sumBy is checked
    | Bool | F32 | F64 -> round dtype (List.sum xs)

let private extremeRef (greatest: bool) dtype (xs: float list) =
    match dtype, xs with
    | F32, _ | F64, _ when anyNaN xs -> nan
    | (F32 | F64), [] -> if greatest then -infinity else infinity
    | I32, [] -> if greatest then float Int32.MinValue else float Int32.MaxValue
    | U32, [] -> if greatest then 0.0 else float UInt32.MaxValue
    | Bool, [] -> if greatest then 0.0 else 1.0
    | _ -> if greatest then List.max xs else List.min xs

[<Property>]
let ``reduce_sum, reduce_max and reduce_min fold any set of axes, with XLA's identity when empty`` () =
    forAll (genReduce DType.all (genValueWith true)) (fun (x, axes) ->
        let summed xs = if x.Aval.DType = Bool then Exact else Summed(magnitude xs)
        if x.Aval.DType = Bool then
            InterpreterTests.rejects "reduce_sum" [ x ] (fun () -> Interpreter.eval (ReduceSum axes) [ x ])
        else
            reduction (ReduceSum axes) sumRef summed x axes
        reduction (ReduceMax axes) (extremeRef true) (fun _ -> Exact) x axes
        reduction (ReduceMin axes) (extremeRef false) (fun _ -> Exact) x axes)

/// Factors that keep products of up to 64 of them inside f32's normal range.
let private genFactor (dtype: DType) =
    match dtype with
    | F32 | F64 ->
        Gen.frequency
            [ 1, Gen.elements [ 0.0; -0.0; 1.0; -1.0; 2.0; 0.5; infinity; -infinity; nan ]
              4, Gen.map2 (fun (m: int) (s: bool) -> (if s then 1.0 else -1.0) * float m / 100.0) (Gen.choose (50, 300)) (Gen.elements [ true; false ]) ]
    | Bool | I32 | U32 -> genValue dtype

[<Property>]
let ``reduce_prod multiplies over any set of axes, wrapping integers`` () =
    forAll (genReduce numeric genFactor) (fun (x, axes) ->
        let prodRef dtype (xs: float list) =
            match dtype with
            | I32 | U32 -> xs |> List.fold (fun acc v -> int64 (wrap dtype (acc * int64 v))) 1L |> float
            | Bool | F32 | F64 -> round dtype (List.fold (*) 1.0 xs)
        let relative xs = Summed(xs |> List.fold (fun acc v -> acc * abs v) 1.0)
        reduction (ReduceProd axes) prodRef relative x axes)

[<Property>]
let ``argmax and argmin give the first index of the extreme, a NaN counting as the extreme`` () =
    let genArg =
        gen {
            let! rank = Gen.choose (1, 3)
            let! shape = genShapeOfRank rank
            let! axis = Gen.choose (0, rank - 1)
            let! length = Gen.choose (1, 4)
            let shape = List.updateAt axis length shape
            let! dtype = genDType
            let ties =
                match dtype with
                | Bool -> [ 0.0; 1.0 ]
                | U32 -> [ 0.0; 1.0; 2.0; 3.0 ]
                | I32 -> [ -1.0; 0.0; 1.0; 2.0 ]
                | F32 | F64 -> [ -1.0; 0.0; -0.0; 1.0; 2.0; nan ]
            let! x = genArrayFrom (Gen.frequency [ 3, Gen.elements ties; 1, genValue dtype ]) dtype shape
            let! indexDType = Gen.elements [ I32; U32 ]
            return x, axis, indexDType
        }
    forAll genArg (fun (x, axis, indexDType) ->
        let extreme (greatest: bool) (row: float list) =
            match List.tryFindIndex Double.IsNaN row with
            | Some i -> float i
            | None -> let m = (if greatest then List.max row else List.min row) in float (List.findIndex ((=) m) row)
        for greatest, prim in [ true, Argmax([ axis ], indexDType); false, Argmin([ axis ], indexDType) ] do
            check prim [ x ] indexDType (keptShape x [ axis ]) exact (reducedElements x [ axis ] >> extreme greatest))

[<Property>]
let ``cumsum at c sums the elements up to c along the axis (from c when reversed)`` () =
    let genScan =
        gen {
            let! rank = Gen.choose (1, 3)
            let! shape = genShapeOfRank rank
            let! axis = Gen.choose (0, rank - 1)
            let! dtype = Gen.elements numeric
            let! x = genArrayFrom (genValueWith true dtype) dtype shape
            let! reverse = Gen.elements [ true; false ]
            return x, axis, reverse
        }
    forAll genScan (fun (x, axis, reverse) ->
        let dtype = x.Aval.DType
        let shape = shapeOf x
        let terms (index: int list) =
            [ 0 .. shape[axis] - 1 ]
            |> List.filter (fun j -> if reverse then j >= index[axis] else j <= index[axis])
            |> List.map (fun j -> at x (List.updateAt axis j index))
        let accuracy index = if DType.isFloat dtype then Summed(magnitude (terms index)) else Exact
        check (Cumsum(axis, reverse)) [ x ] dtype shape accuracy (terms >> sumRef dtype))

/// Axis kinds of a dot_general operand: batch, contracting, free.
type private Axis =
    | B of int
    | C of int
    | F of int

/// A dot_general: axis sizes by kind, each operand's axes in a random order, and the dims.
let private genDot =
    gen {
        let smallDim = Gen.frequency [ 1, Gen.constant 0; 2, Gen.constant 1; 5, Gen.choose (2, 3) ]
        let dims n = Gen.sequenceToList (List.replicate n smallDim)
        let! batch = Gen.choose (0, 2) |> Gen.bind dims
        let! contract = Gen.choose (0, 2) |> Gen.bind dims
        let! freeL = Gen.choose (0, 2) |> Gen.bind dims
        let! freeR = Gen.choose (0, 2) |> Gen.bind dims
        let logical free = List.mapi (fun i _ -> B i) batch @ List.mapi (fun i _ -> C i) contract @ List.mapi (fun i _ -> F i) free
        let! lhsAxes = Gen.shuffle (logical freeL)
        let! rhsAxes = Gen.shuffle (logical freeR)
        let! dtype = Gen.elements numeric
        let! pref =
            match dtype with
            | F32 -> Gen.elements [ None; Some F64 ]
            | I32 | U32 -> Gen.elements [ None; Some F32; Some F64 ]
            | Bool | F64 -> Gen.constant None
        let sizeOf free axis =
            match axis with
            | B i -> batch[i]
            | C i -> contract[i]
            | F i -> free |> List.item i
        let! lhs = genArrayFrom (genValueWith true dtype) dtype (lhsAxes |> Seq.map (sizeOf freeL) |> List.ofSeq)
        let! rhs = genArrayFrom (genValueWith true dtype) dtype (rhsAxes |> Seq.map (sizeOf freeR) |> List.ofSeq)
        return lhs, List.ofArray lhsAxes, rhs, List.ofArray rhsAxes, (batch, contract, freeL, freeR), pref
    }

[<Property>]
let ``dot_general sums products over contracting dims, batch dims first, then lhs free, then rhs free`` () =
    forAll genDot (fun (lhs, lhsAxes, rhs, rhsAxes, (batch, contract, freeL, freeR), pref) ->
        let positions axes kind count = List.init count (fun i -> List.findIndex ((=) (kind i)) axes)
        let dims =
            { LhsContract = positions lhsAxes C contract.Length
              RhsContract = positions rhsAxes C contract.Length
              LhsBatch = positions lhsAxes B batch.Length
              RhsBatch = positions rhsAxes B batch.Length }
        let outDType = defaultArg pref lhs.Aval.DType
        let cast v = round outDType v // the operands are converted to the output dtype first
        // free dims enter the output in the order they appear in their operand
        let freeOrder axes = axes |> List.choose (fun a -> match a with F i -> Some i | B _ | C _ -> None)
        let lhsFree, rhsFree = freeOrder lhsAxes, freeOrder rhsAxes
        let products (index: int list) =
            let b, rest = List.splitAt batch.Length index
            let fl, fr = List.splitAt freeL.Length rest
            let coordinate (order: int list) (free: int list) (c: int list) axis =
                match axis with
                | B i -> b[i]
                | C i -> c[i]
                | F i -> free[List.findIndex ((=) i) order]
            indices contract
            |> List.map (fun c ->
                cast (at lhs (List.map (coordinate lhsFree fl c) lhsAxes)), cast (at rhs (List.map (coordinate rhsFree fr c) rhsAxes)))
        let reference index =
            let ps = products index
            match outDType with
            | I32 | U32 -> wrap outDType (ps |> List.fold (fun acc (a, b) -> acc + int64 a * int64 b) 0L)
            | Bool | F32 | F64 -> round outDType (ps |> List.sumBy (fun (a, b) -> a * b))
        let accuracy index =
            if DType.isFloat outDType then Summed(products index |> List.sumBy (fun (a, b) -> abs (a * b))) else Exact
        let outShape = batch @ List.map (fun i -> freeL[i]) lhsFree @ List.map (fun i -> freeR[i]) rhsFree
        check (DotGeneral(dims, pref)) [ lhs; rhs ] outDType outShape accuracy reference)

/// An equation binding fresh outputs typed by the type rule (the smart-constructor pattern).
let private eqn (prim: Prim) (inputs: Atom list) =
    let outs = LaxTypes.abstractEval prim (inputs |> List.map Atom.aval) |> List.map Var.fresh
    { Op = prim; Inputs = inputs; Outs = outs; Source = None }, outs

[<Property>]
let ``evalJaxpr agrees with evaluating its equations one at a time, through a pjit region`` () =
    let genArgs =
        gen {
            let! dtype = Gen.elements [ F32; F64 ]
            let! shape = genShape
            let! xs = Gen.sequenceToList (List.replicate 3 (genArray dtype shape))
            return xs
        }
    forAll genArgs (fun xs ->
        let a, b, c = xs[0], xs[1], xs[2]
        let dtype = a.Aval.DType
        let one = NdArray.scalar dtype true 1.0
        // outer: { lambda k ; p q. let d = mul p q; e = add d k; f = pjit[inner] e in (f, d) }
        let k, p, q = Var.fresh c.Aval, Var.fresh a.Aval, Var.fresh b.Aval
        let mulEqn, ds = eqn Mul [ Var p; Var q ]
        let addKEqn, es = eqn Add [ Var ds.Head; Var k ]
        // inner: { lambda ; x. let y = sin x; z = add y 1.0 in (z,) }
        let x = Var.fresh es.Head.Aval
        let sinEqn, ys = eqn Sin [ Var x ]
        let addEqn, zs = eqn Add [ Var ys.Head; Lit one ]
        let inner = { Jaxpr = { ConstVars = []; InVars = [ x ]; Eqns = [ sinEqn; addEqn ]; OutVars = [ Var zs.Head ] }; Consts = [] }
        let pjitEqn, fs = eqn (Pjit("inner", inner)) [ Var es.Head ]
        let outer = { ConstVars = [ k ]; InVars = [ p; q ]; Eqns = [ mulEqn; addKEqn; pjitEqn ]; OutVars = [ Var fs.Head; Var ds.Head ] }
        let run prim args = List.exactlyOne (Interpreter.eval prim args)
        let d = run Mul [ a; b ]
        let f = run Add [ run Sin [ run Add [ d; c ] ]; one ]
        match Interpreter.evalJaxpr outer [ c ] [ a; b ] with
        | [ f'; d' ] ->
            Assert.Equal<float[]>(NdArray.toFloats f, NdArray.toFloats f')
            Assert.Equal<float[]>(NdArray.toFloats d, NdArray.toFloats d')
            Assert.Equal(f.Aval, f'.Aval)
        | outs -> failwith $"expected 2 outputs, got {outs.Length}")

[<Fact>]
let ``evalJaxpr rejects arguments that do not match its inputs, and reports an equation's site`` () =
    let a = NdArray.full F32 [| 3 |] 1.0
    let b = NdArray.full F32 [| 4 |] 1.0
    let p, q = Var.fresh a.Aval, Var.fresh b.Aval
    let site = { File = "/src/model.fs"; Line = 12; Member = "loss" }
    let bad = { Op = Add; Inputs = [ Var p; Var q ]; Outs = [ Var.fresh a.Aval ]; Source = Some site }
    let jaxpr = { ConstVars = []; InVars = [ p; q ]; Eqns = [ bad ]; OutVars = [ Var p ] }
    let e = Assert.Throws<CotangentException>(fun () -> Interpreter.evalJaxpr jaxpr [] [ a ] |> ignore)
    Assert.Contains("f32[3]", e.Message)
    let e = Assert.Throws<CotangentException>(fun () -> Interpreter.evalJaxpr jaxpr [] [ a; b ] |> ignore)
    Assert.Contains("add", e.Message)
    Assert.Contains("model.fs:12 in loss", e.Message)
