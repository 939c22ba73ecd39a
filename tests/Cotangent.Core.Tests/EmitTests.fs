/// Backend.Emit and Backend.Runtime against the reference interpreter, on loop/vec programs built
/// by hand: every scalar primitive on every dtype its type rule accepts (bit for bit, NaN = NaN),
/// vector ops lane by lane against scalar ones, loops with tails, broadcasts, reductions, accums,
/// fills, library calls between segments, parallel and concurrent runs, and exception safety.
/// Transcendentals in vectors (BCL Vector256.Exp/Log/Sin/Cos) are checked to a relative 4e-6
/// (f32) / 1e-13 (f64) of the interpreter.
module EmitTests

open System
open System.Threading.Tasks
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

// ---- building programs ------------------------------------------------------------------------

let mutable private nextBuffer = 0
/// A buffer with a small fresh id (ids index the runtime's table; fewer than 64 per program).
let buffer kind dtype (shape: int[]) : Buffer =
    { Id = Threading.Interlocked.Increment &nextBuffer % 64; Aval = Aval.make dtype shape; Kind = kind }

let private scalarVar dtype = Var.fresh (Aval.scalar dtype)
let private vectorVar dtype = Var.fresh (Aval.make dtype [| width dtype |])
let private at (terms: (Var * int) list) = { Offset = 0; Terms = terms }

let private loop lo hi step par (body: Var -> Stmt<VecOp> list) =
    let iv = scalarVar I32
    For { Iv = iv; Lo = lo; Hi = hi; Step = step; Parallel = par; Carried = []; Body = body iv; Yield = []; Results = [] }

let private program args results temps body : Program<VecOp> =
    { Args = args; Consts = []; Temps = temps; Results = results; Body = body }

// ---- comparing arrays --------------------------------------------------------------------------

let private sameF32 (x: float32) (y: float32) = (Single.IsNaN x && Single.IsNaN y) || BitConverter.SingleToInt32Bits x = BitConverter.SingleToInt32Bits y
let private sameF64 (x: float) (y: float) = (Double.IsNaN x && Double.IsNaN y) || BitConverter.DoubleToInt64Bits x = BitConverter.DoubleToInt64Bits y

/// Equal dtypes, shapes and bits (any NaN equals any NaN).
let sameBits (a: NdArray) (b: NdArray) =
    a.Aval.DType = b.Aval.DType && a.Aval.Shape = b.Aval.Shape
    && (match a.Data, b.Data with
        | F32Data x, F32Data y -> Array.forall2 sameF32 x y
        | F64Data x, F64Data y -> Array.forall2 sameF64 x y
        | x, y -> x = y)

let private close (a: NdArray) (b: NdArray) =
    let tol = if a.Aval.DType = F32 then 4e-6 else 1e-13
    a.Aval.Shape = b.Aval.Shape
    && Array.forall2 (fun (x: float) (y: float) -> (Double.IsNaN x && Double.IsNaN y) || x = y || abs (x - y) <= tol * max 1.0 (abs y)) (NdArray.toFloats a) (NdArray.toFloats b)

let private assertBits (expected: NdArray) (actual: NdArray) =
    if not (sameBits expected actual) then
        Assert.Fail $"expected {NdArray.toFloats expected |> Array.truncate 16 |> List.ofArray}\nactual   {NdArray.toFloats actual |> Array.truncate 16 |> List.ofArray}"

// ---- elementwise expressions, scalar or vectorized ---------------------------------------------

type Operand =
    | In of int
    | Tmp of int
    | Const of float

/// A straight-line elementwise program: each op's operands are inputs, earlier results or literals.
type Expr = (Prim * Operand list) list

/// One iteration of `expr` at index `addr`: loads, computes, and a store of the last result.
let private body (vector: bool) (dtype: DType) (expr: Expr) (ins: Buffer list) (out: Buffer) (addr: Addr) =
    let stmts = ResizeArray<Stmt<VecOp>>()
    let w = width dtype
    let fresh (d: DType) = if vector then Var.fresh (Aval.make d [| w |]) else scalarVar d
    let loaded =
        ins |> List.map (fun b ->
            let v = fresh b.Aval.DType
            stmts.Add(if vector then Ext(VLoad(v, b, addr)) else Load(v, b, addr))
            v)
    let tmps = ResizeArray<Var>()
    for prim, ops in expr do
        let atoms = ops |> List.map (fun o -> match o with In k -> Var loaded[k] | Tmp k -> Var tmps[k] | Const c -> Lit(NdArray.scalar dtype false c))
        let outDtype = (LaxTypes.abstractEval prim (atoms |> List.map (fun a -> Aval.scalar (Atom.aval a).DType))).Head.DType
        let v = fresh outDtype
        stmts.Add(Compute(v, prim, atoms))
        tmps.Add v
    let last = Var tmps[tmps.Count - 1]
    stmts.Add(if vector then Ext(VStore(out, addr, last)) else Store(out, addr, last))
    List.ofSeq stmts

/// out[i] = expr(ins[i]) for i < n: one parallel loop, or a vector loop and a scalar tail.
let elementwise (vector: bool) (par: bool) (dtype: DType) (expr: Expr) (inputs: int) (n: int) =
    let ins = [ for k in 0 .. inputs - 1 -> buffer (Arg k) dtype [| n |] ]
    let out = buffer (Result 0) dtype [| n |]
    let split = if vector then n - n % width dtype else 0
    let vectorLoop = loop 0 split (width dtype) par (fun i -> body true dtype expr ins out (at [ i, 1 ]))
    let tail = loop split n 1 par (fun i -> body false dtype expr ins out (at [ i, 1 ]))
    program ins [ out ] [] (if vector then [ vectorLoop; tail ] else [ tail ])

/// The interpreter's value of `expr` on whole arrays.
let interpret (dtype: DType) (expr: Expr) (inputs: NdArray list) =
    let tmps = ResizeArray<NdArray>()
    for prim, ops in expr do
        let args = ops |> List.map (fun o -> match o with In k -> inputs[k] | Tmp k -> tmps[k] | Const c -> NdArray.scalar dtype false c)
        tmps.Add(Interpreter.eval prim args |> List.head)
    tmps[tmps.Count - 1]

let private randomArray (rng: Random) (dtype: DType) (n: int) =
    NdArray.ofFloats dtype [| n |] (Array.init n (fun _ -> Math.Round(rng.NextDouble() * 20.0 - 10.0, 3)))

let private arith: Expr =
    [ Mul, [ In 0; In 1 ]; Add, [ Tmp 0; In 0 ]; Abs, [ Tmp 1 ]; Sqrt, [ Tmp 2 ]; Max, [ Tmp 3; In 1 ]
      Sub, [ In 0; Const 0.5 ]; Div, [ Tmp 4; Tmp 5 ]; Neg, [ Tmp 6 ]; Min, [ Tmp 7; Const 3.0 ]
      Lt, [ In 0; In 1 ]; Gt, [ In 0; Const 0.0 ]; And, [ Tmp 9; Tmp 10 ]; Not, [ Tmp 11 ]; SelectN, [ Tmp 12; Tmp 8; In 1 ]
      Round ToNearestEven, [ Tmp 13 ]; IntegerPow 3, [ Tmp 14 ] ]

let private transcendental: Expr =
    [ Exp, [ In 0 ]; Abs, [ In 1 ]; Log, [ Tmp 1 ]; Sin, [ In 0 ]; Cos, [ In 1 ]; Logistic, [ In 0 ]
      Add, [ Tmp 0; Tmp 2 ]; Add, [ Tmp 6; Tmp 3 ]; Add, [ Tmp 7; Tmp 4 ]; Mul, [ Tmp 8; Tmp 5 ] ]

let sizes = [ 0; 1; 7; 8; 9; 1000; 100003 ]

[<Fact>]
let ``1-d elementwise loops equal the interpreter bit for bit, scalar and vectorized with a tail`` () =
    let rng = Random 1
    for dtype in [ F32; F64 ] do
        for n in sizes do
            let xs = [ randomArray rng dtype n; randomArray rng dtype n ]
            let expected = interpret dtype arith xs
            for vector in [ false; true ] do
                let exe = Runtime.compile (elementwise vector true dtype arith 2 n)
                assertBits expected (exe.Run xs).Head

[<Fact>]
let ``transcendental loops are within tolerance of the interpreter`` () =
    let rng = Random 2
    for dtype in [ F32; F64 ] do
        for n in [ 9; 1000 ] do
            let xs = [ randomArray rng dtype n; randomArray rng dtype n ]
            let expected = interpret dtype transcendental xs
            for vector in [ false; true ] do
                let actual = ((Runtime.compile (elementwise vector false dtype transcendental 2 n)).Run xs).Head
                Assert.True(close actual expected, $"{dtype} n={n} vector={vector}")

[<Fact>]
let ``parallel loops above the threshold equal the sequential loop`` () =
    let rng = Random 3
    let n = 1_000_003
    let xs = [ randomArray rng F32 n; randomArray rng F32 n ]
    let sequential = ((Runtime.compile (elementwise true false F32 arith 2 n)).Run xs).Head
    for vector in [ false; true ] do
        assertBits sequential ((Runtime.compile (elementwise vector true F32 arith 2 n)).Run xs).Head
    assertBits (interpret F32 arith xs) sequential

[<Fact>]
let ``a 2-d broadcast reads a row through a stride-0 address`` () =
    let rng = Random 4
    for rows, cols in [ 5, 13; 3, 8; 1, 1 ] do
        let x = randomArray rng F32 (rows * cols)
        let b = randomArray rng F32 cols
        let xb = buffer (Arg 0) F32 [| rows; cols |]
        let bb = buffer (Arg 1) F32 [| cols |]
        let out = buffer (Result 0) F32 [| rows; cols |]
        let expr: Expr = [ Add, [ In 0; In 1 ] ]
        let row vector i j = body vector F32 expr [ xb; bb ] out { Offset = 0; Terms = [ i, cols; j, 1 ] } |> List.map (fun s ->
            match s with
            | Load(v, src, _) when src = bb -> Load(v, src, at [ i, 0; j, 1 ])
            | Ext(VLoad(v, src, _)) when src = bb -> Ext(VLoad(v, src, at [ i, 0; j, 1 ]))
            | s -> s)
        let split = cols - cols % 8
        let p = program [ xb; bb ] [ out ] [] [ loop 0 rows 1 true (fun i -> [ loop 0 split 8 false (row true i); loop split cols 1 false (row false i) ]) ]
        let x2 = { x with Aval = Aval.make F32 [| rows; cols |] }
        let expected = Interpreter.eval Add [ x2; Interpreter.eval (BroadcastInDim([ rows; cols ], [ 1 ])) [ b ] |> List.head ] |> List.head
        assertBits expected ((Runtime.compile p).Run [ x2; b ]).Head

/// out[] = combine over x, scalar or (vector loop + reduce + scalar tail), carried accumulators.
let private reduction (vector: bool) (combiner: Kernel.Combiner) (dtype: DType) (n: int) =
    let x = buffer (Arg 0) dtype [| n |]
    let out = buffer (Result 0) dtype [||]
    let prim = Kernel.Combiner.binary combiner
    let identity = Kernel.Combiner.identity combiner dtype
    let carriedLoop lo hi step (init: Atom) (vec: bool) =
        let iv = scalarVar I32
        let acc = if vec then vectorVar dtype else scalarVar dtype
        let x1 = if vec then vectorVar dtype else scalarVar dtype
        let next = if vec then vectorVar dtype else scalarVar dtype
        let result = if vec then vectorVar dtype else scalarVar dtype
        result, For { Iv = iv; Lo = lo; Hi = hi; Step = step; Parallel = false; Carried = [ acc, init ]
                      Body = [ (if vec then Ext(VLoad(x1, x, at [ iv, 1 ])) else Load(x1, x, at [ iv, 1 ])); Compute(next, prim, [ Var acc; Var x1 ]) ]
                      Yield = [ Var next ]; Results = [ result ] }
    let split = if vector then n - n % width dtype else 0
    let stmts =
        if vector then
            let vr, vloop = carriedLoop 0 split (width dtype) (Lit identity) true
            let s = scalarVar dtype
            let r, tail = carriedLoop split n 1 (Var s) false
            [ vloop; Ext(VReduce(s, combiner, Var vr)); tail; Store(out, Addr.constant 0, Var r) ]
        else
            let r, l = carriedLoop 0 n 1 (Lit identity) false
            [ l; Store(out, Addr.constant 0, Var r) ]
    program [ x ] [ out ] [] stmts

[<Fact>]
let ``reductions with carried accumulators match the interpreter`` () =
    let rng = Random 5
    for dtype in [ F32; F64 ] do
        for n in sizes do
            let x = randomArray rng dtype n
            for combiner in [ Kernel.Sum; Kernel.Max; Kernel.Min; Kernel.Prod ] do
                let x = if combiner = Kernel.Prod then NdArray.ofFloats dtype [| n |] (Array.init n (fun i -> 1.0 + float (i % 3) * 1e-4)) else x
                let expected = Interpreter.eval (Kernel.Combiner.reduction combiner [ 0 ]) [ x ] |> List.head
                for vector in [ false; true ] do
                    let actual = ((Runtime.compile (reduction vector combiner dtype n)).Run [ x ]).Head
                    let exact = combiner = Kernel.Max || combiner = Kernel.Min
                    // sums and products in another order: within 2·n·eps of Σ|x| (resp. |prod|)
                    let eps = if dtype = F32 then 6e-8 else 1.2e-16
                    let scale = if combiner = Kernel.Sum then NdArray.toFloats x |> Array.sumBy abs else abs (NdArray.item 0 expected)
                    let near = abs (NdArray.item 0 actual - NdArray.item 0 expected) <= 2.0 * float (max n 1) * eps * scale
                    Assert.True((if exact then sameBits actual expected else near), $"{combiner} {dtype} n={n} vector={vector}")

[<Fact>]
let ``max reductions propagate NaN in vectors and tails`` () =
    for n in [ 3; 8; 11 ] do
        for pos in [ 0; n - 1 ] do
            let x = NdArray.ofFloats F32 [| n |] (Array.init n (fun i -> if i = pos then nan else float i))
            let actual = ((Runtime.compile (reduction true Kernel.Max F32 n)).Run [ x ]).Head
            Assert.True(Single.IsNaN(NdArray.item 0 actual |> float32))

[<Fact>]
let ``accum and fill build a column sum`` () =
    let rng = Random 6
    let rows, cols = 7, 19
    for dtype, vector in [ I32, false; F32, true; F64, true ] do
        let x = NdArray.ofFloats dtype [| rows; cols |] (Array.init (rows * cols) (fun _ -> float (rng.Next(-50, 50))))
        let xb = buffer (Arg 0) dtype [| rows; cols |]
        let out = buffer (Result 0) dtype [| cols |]
        let w = width dtype
        let split = if vector then cols - cols % w else 0
        let accum vec i j =
            let v = if vec then vectorVar dtype else scalarVar dtype
            [ (if vec then Ext(VLoad(v, xb, at [ i, cols; j, 1 ])) else Load(v, xb, at [ i, cols; j, 1 ])); Accum(out, at [ j, 1 ], Kernel.Sum, Var v) ]
        let inner i = (if vector then [ loop 0 split w false (accum true i) ] else []) @ [ loop split cols 1 false (accum false i) ]
        let p = program [ xb ] [ out ] [] [ Fill(out, NdArray.scalar dtype false 0.0); loop 0 rows 1 false inner ]
        let expected = Interpreter.eval (ReduceSum [ 0 ]) [ x ] |> List.head
        assertBits expected ((Runtime.compile p).Run [ x ]).Head

[<Fact>]
let ``fill sets every element, bool included`` () =
    for dtype in DType.all do
        let out = buffer (Result 0) dtype [| 37 |]
        let value = NdArray.scalar dtype false 3.0
        let exe = Runtime.compile (program [] [ out ] [] [ Fill(out, value) ])
        assertBits (NdArray.full dtype [| 37 |] (NdArray.item 0 value)) (exe.Run []).Head
        Assert.Equal(0, exe.Segments)

[<Fact>]
let ``straight-line loads and stores at constant indices address the right elements`` () =
    // x and out are touched three times or more (their bases hoisted into locals), y once
    // (through the table); every index is a constant folded into a byte offset at emission
    for dtype in [ I32; F32; F64 ] do
        let xb = buffer (Arg 0) dtype [| 9 |]
        let yb = buffer (Arg 1) dtype [| 5 |]
        let out = buffer (Result 0) dtype [| 4 |]
        let x0, x4, x8, y2, p, q = scalarVar dtype, scalarVar dtype, scalarVar dtype, scalarVar dtype, scalarVar dtype, scalarVar dtype
        let c k = { Offset = k; Terms = [] }
        let p' =
            program [ xb; yb ] [ out ] []
                [ Load(x0, xb, c 0); Load(x4, xb, c 4); Load(x8, xb, c 8); Load(y2, yb, c 2)
                  Compute(p, Mul, [ Var x0; Var x4 ]); Compute(q, Add, [ Var x8; Var y2 ])
                  Store(out, c 0, Var p); Store(out, c 1, Var q); Store(out, c 2, Var x4); Store(out, c 3, Var x0) ]
        let x = NdArray.ofFloats dtype [| 9 |] (Array.init 9 (fun i -> float (3 * i - 7)))
        let y = NdArray.ofFloats dtype [| 5 |] (Array.init 5 (fun i -> float (10 + i)))
        let expected = NdArray.ofFloats dtype [| 4 |] [| -7.0 * 5.0; 17.0 + 12.0; 5.0; -7.0 |]
        assertBits expected ((Runtime.compile p').Run [ x; y ]).Head

/// t1 = 2x (temp); t2 = concatenate(t1, y) (call); t3 = dot(a, b) (call); out = t2 + 1; r2 = t3.
let private callProgram n =
    let x = buffer (Arg 0) F32 [| n |]
    let y = buffer (Arg 1) F32 [| 3 |]
    let a = buffer (Arg 2) F32 [| 2; 3 |]
    let bm = buffer (Arg 3) F32 [| 3; 4 |]
    let t1 = buffer (Temp 0) F32 [| n |]
    let t2 = buffer (Temp 1) F32 [| n + 3 |]
    let out = buffer (Result 0) F32 [| n + 3 |]
    let prod = buffer (Result 1) F32 [| 2; 4 |]
    let dims = { LhsContract = [ 1 ]; RhsContract = [ 0 ]; LhsBatch = []; RhsBatch = [] }
    program [ x; y; a; bm ] [ out; prod ] [ t1; t2 ]
        [ loop 0 n 1 true (fun i -> body false F32 [ Mul, [ In 0; Const 2.0 ] ] [ x ] t1 (at [ i, 1 ]))
          Call(Concatenate 0, [ t1; y ], [ t2 ])
          Call(DotGeneral(dims, None), [ a; bm ], [ prod ])
          loop 0 (n + 3) 1 true (fun i -> body false F32 [ Add, [ In 0; Const 1.0 ] ] [ t2 ] out (at [ i, 1 ])) ]

let private callArgs (rng: Random) n =
    [ randomArray rng F32 n; randomArray rng F32 3; NdArray.ofFloats F32 [| 2; 3 |] (Array.init 6 float); NdArray.ofFloats F32 [| 3; 4 |] (Array.init 12 (fun i -> float i - 4.0)) ]

let private callExpected (args: NdArray list) =
    let t1 = Interpreter.eval Mul [ args[0]; NdArray.scalar F32 false 2.0 ] |> List.head
    let t2 = Interpreter.eval (Concatenate 0) [ t1; args[1] ] |> List.head
    let dims = { LhsContract = [ 1 ]; RhsContract = [ 0 ]; LhsBatch = []; RhsBatch = [] }
    [ Interpreter.eval Add [ t2; NdArray.scalar F32 false 1.0 ] |> List.head; Interpreter.eval (DotGeneral(dims, None)) [ args[2]; args[3] ] |> List.head ]

[<Fact>]
let ``calls run between segments on temps`` () =
    let rng = Random 7
    let exe = Runtime.compile (callProgram 10)
    let args = callArgs rng 10
    List.iter2 assertBits (callExpected args) (exe.Run args)
    Assert.Equal(2, exe.Segments)
    Assert.Equal(int64 (10 * 4 + 13 * 4), exe.TempBytes)

[<Fact>]
let ``two threads can call one executable at once`` () =
    let exe = Runtime.compile (callProgram 5000)
    let work seed =
        Task.Run(fun () ->
            let rng = Random(seed: int)
            for _ in 1..40 do
                let args = callArgs rng 5000
                List.iter2 assertBits (callExpected args) (exe.Run args))
    Task.WaitAll [| work 1; work 2 |]
    Assert.Equal((0, 0), exe.InFlight())
    Assert.InRange(exe.TempSets(), 1, 2)

[<Fact>]
let ``an exception in a call unpins the arguments and returns the temps`` () =
    let x = buffer (Arg 0) F32 [| 4 |]
    let y = buffer (Arg 1) F64 [| 4 |]
    let t = buffer (Temp 0) F32 [| 4 |]
    let out = buffer (Result 0) F32 [| 4 |]
    let p = program [ x; y ] [ out ] [ t ] [ Call(Add, [ x; y ], [ t ]); loop 0 4 1 false (fun i -> body false F32 [ Neg, [ In 0 ] ] [ t ] out (at [ i, 1 ])) ]
    let exe = Runtime.compile p
    let args = [ NdArray.ofFloats F32 [| 4 |] [| 1.0; 2.0; 3.0; 4.0 |]; NdArray.ofFloats F64 [| 4 |] [| 1.0; 2.0; 3.0; 4.0 |] ]
    for _ in 1..3 do
        let e = Assert.Throws<CotangentException>(fun () -> exe.Run args |> ignore)
        Assert.Contains("add", e.Message)
        Assert.Equal((0, 0), exe.InFlight())
    Assert.Equal(1, exe.TempSets())
    // the same pool serves a good call afterwards
    Assert.Throws<CotangentException>(fun () -> exe.Run [ args[0] ] |> ignore) |> ignore
    let good = Runtime.compile (callProgram 3)
    let rng = Random 8
    let args = callArgs rng 3
    List.iter2 assertBits (callExpected args) (good.Run args)
    Assert.Equal((0, 0), good.InFlight())

[<Fact>]
let ``segments compile in parallel, and an emitter error on a worker surfaces as itself`` () =
    let saved = Cotangent.Kernels.Threads.Workers
    Cotangent.Kernels.Threads.Workers <- 2
    try
        let x = buffer (Arg 0) F32 [| 4 |]
        let out = buffer (Result 0) F32 [| 4 |]
        let twice = loop 0 4 1 true (fun i -> body false F32 [ Mul, [ In 0; Const 2.0 ] ] [ x ] out (at [ i, 1 ]))
        // three segments (each parallel loop is one), run in order whichever worker emitted them
        let exe = Runtime.compile (program [ x ] [ out ] [] [ twice; twice; twice ])
        Assert.Equal(3, exe.Segments)
        let arg = NdArray.ofFloats F32 [| 4 |] [| 1.0; 2.0; 3.0; 4.0 |]
        assertBits (NdArray.ofFloats F32 [| 4 |] [| 2.0; 4.0; 6.0; 8.0 |]) (exe.Run [ arg ]).Head
        // a var of rank 2 has no IL local: the emitter's error, not an AggregateException
        let matrix = Var.fresh (Aval.make F32 [| 2; 2 |])
        let bad = program [ x ] [ out ] [] [ twice; Compute(matrix, Neg, [ Lit(NdArray.scalar F32 false 1.0) ]); twice ]
        let e = Assert.Throws<CotangentException>(fun () -> Runtime.compile bad |> ignore)
        Assert.Contains("f32[2,2] is neither a scalar nor a vector", e.Message)
    finally
        Cotangent.Kernels.Threads.Workers <- saved
