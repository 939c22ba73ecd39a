/// Small IR tests of fuse, lower-to-loops and vectorize: what each pass builds for programs
/// whose right answer is known by hand, with the verifier after each.
module Cotangent.Core.Tests.CompilerPassTests

open System
open Xunit
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Kernel
open Cotangent.Core.Dialects.Loop
open Cotangent.Core.Dialects.Vec
open Cotangent.Core.Tracing
module N = Cotangent.Core.Numpy
module A = Cotangent.Core.NumpyArrays

let private f32 (shape: int[]) = NdArray.ofFloat32 shape (Array.init (Shape.size shape) (fun i -> float32 (i % 7) * 0.25f + 0.5f))
let private trace f (args: NdArray list) = Api.makeJaxpr f (List.map Concrete args)

let private fuse closed =
    let k, stats = Passes.Fuse.run closed
    Assert.Empty(Kernel.verify k.Jaxpr)
    k, stats |> List.map (fun (n, v, _) -> n, v) |> dict

let private fusions (k: ClosedJaxpr<Op>) =
    k.Jaxpr.Eqns |> List.choose (fun e -> match e.Op with Fusion f -> Some f | Lax _ -> None)

let private softmax (args: Value list) =
    let x = args[0]
    let e = N.exp (N.subtract x (A.max (Some [ 1 ]) true x))
    [ N.divide e (A.sum (Some [ 1 ]) true e) ]

[<Fact>]
let ``softmax fuses into two input fusions and two loop fusions, each op in one kernel`` () =
    let closed = trace softmax [ f32 [| 4; 6 |] ]
    let k, stats = fuse closed
    let kinds = fusions k |> List.map (fun f -> f.Kind)
    Assert.Equal<FusionKind list>([ Input(Max, [ 1 ]); Loop; Input(Sum, [ 1 ]); Loop ], kinds)
    Assert.Equal(4, stats["num-kernels"])
    // every elementwise and reduction op of the program is computed in exactly one kernel
    let bodyOps = fusions k |> List.collect (fun f -> f.Body.Eqns |> List.map (fun e -> Lax.name e.Op))
    Assert.Equal<string list>([ "sub"; "exp"; "div" ], bodyOps)
    // the broadcasts became stride-0 views of the reduced buffers
    let loopViews = (List.item 1 (fusions k)).Views
    Assert.True(List.contains { Offset = 0; Strides = [ 1; 0 ] } loopViews, $"views {loopViews}")
    Assert.Equal<NdArray list>(Backend.Interpreter.evalJaxpr closed.Jaxpr closed.Consts [ f32 [| 4; 6 |] ], Kernel.eval k [ f32 [| 4; 6 |] ])

[<Fact>]
let ``transpose and slice feeding an elementwise op become views, not copies`` () =
    let f (args: Value list) =
        let x = args[0]
        [ N.add (A.transpose (Some [ 1; 0 ]) x) (N.sin (A.transpose (Some [ 1; 0 ]) x)) ]
    let closed = trace f [ f32 [| 3; 5 |] ]
    let k, _ = fuse closed
    match fusions k with
    | [ one ] ->
        Assert.Equal<int list>([ 5; 3 ], one.Space)
        Assert.Equal<View list>([ { Offset = 0; Strides = [ 1; 5 ] } ], one.Views)
    | other -> failwith $"expected one kernel, got {other.Length}"
    Assert.Equal<NdArray list>(Backend.Interpreter.evalJaxpr closed.Jaxpr closed.Consts [ f32 [| 3; 5 |] ], Kernel.eval k [ f32 [| 3; 5 |] ])

[<Fact>]
let ``dot_general stays a library call between kernels`` () =
    let f (args: Value list) = [ N.tanh (A.dot (N.exp args[0]) args[1]) ]
    let closed = trace f [ f32 [| 4; 3 |]; f32 [| 3; 2 |] ]
    let k, _ = fuse closed
    let ops = k.Jaxpr.Eqns |> List.map (fun e -> match e.Op with Fusion _ -> "fusion" | Lax p -> Lax.name p)
    Assert.Equal<string list>([ "fusion"; "dot_general"; "fusion" ], ops)

let private lower closed =
    let k, _ = Passes.Fuse.run closed
    let p, stats = Passes.LowerToLoops.run k
    Assert.Empty(Vec.verify true p)
    p, stats |> List.map (fun (n, v, _) -> n, v) |> dict

[<Fact>]
let ``the memory plan reuses a dead buffer's slot and writes in place over a dying input`` () =
    // three kernels in a chain (reductions separate them): t1 dies at the second kernel, t2 at the third
    let f (args: Value list) =
        let x = args[0]
        let a = N.exp (N.subtract x (A.max (Some [ 1 ]) true x))
        let b = N.multiply a (A.sum (Some [ 1 ]) true a)
        [ N.sin (N.add b (A.min (Some [ 1 ]) true b)) ]
    let closed = trace f [ f32 [| 8; 16 |] ]
    let p, stats = lower closed
    let slots, temps = stats["num-slots"], stats["num-temps"]
    Assert.True(slots < temps, $"{slots} slots for {temps} temps")
    let run = (Backend.Runtime.compile p).Run [ f32 [| 8; 16 |] ]
    let expected = Backend.Interpreter.evalJaxpr closed.Jaxpr closed.Consts [ f32 [| 8; 16 |] ]
    // the interpreter's exp is TensorPrimitives', the scalar loop's MathF's: an ulp apart
    Array.iter2 (fun (a: float) b -> Assert.True(abs (a - b) <= 1e-5 * (1.0 + abs a), $"{a} vs {b}")) (NdArray.toFloats expected.Head) (NdArray.toFloats run.Head)

[<Fact>]
let ``a reduction over the innermost axis carries its accumulator through the loop`` () =
    let f (args: Value list) = [ A.sum (Some [ 1 ]) false (N.exp args[0]) ]
    let p, _ = lower (trace f [ f32 [| 4; 6 |] ])
    let text = Vec.print p
    Assert.Contains("iter_args(", text)
    Assert.Contains("loop.accumulate[sum]", text)
    Assert.Contains("loop.fill 0.0", text)

[<Fact>]
let ``vectorize makes a Vector256 loop of 8 lanes and a scalar tail`` () =
    let f (args: Value list) = [ N.multiply (N.exp args[0]) args[1] ]
    let p, _ = lower (trace f [ f32 [| 100 |]; f32 [| 100 |] ])
    let v, stats = Passes.Vectorize.run p
    Assert.Empty(Vec.verify false v)
    Assert.Equal(1, (stats |> List.head |> fun (_, n, _) -> n))
    let text = Vec.print v
    // four vectors interleaved per trip, no single-vector remainder (96 = 3·32), a scalar tail
    Assert.Contains("= 0 to 96 step 32", text)
    Assert.DoesNotContain("step 8", text)
    Assert.Contains("= 96 to 100 step 1", text)
    Assert.Contains("vec.load", text)
    Assert.Contains(": f32[8]", text)
    // 120 = 3·32 + 3·8: the remainder runs one vector per trip
    let v, _ = Passes.Vectorize.run (fst (lower (trace f [ f32 [| 120 |]; f32 [| 120 |] ])))
    Assert.Empty(Vec.verify false v)
    let text = Vec.print v
    Assert.Contains("= 0 to 96 step 32", text)
    Assert.Contains("= 96 to 120 step 8", text)

[<Fact>]
let ``a vectorized row sum folds its vector accumulator with vec.reduce`` () =
    let f (args: Value list) = [ A.sum (Some [ 1 ]) false args[0] ]
    let x = f32 [| 3; 37 |]
    let p, _ = lower (trace f [ x ])
    let v, _ = Passes.Vectorize.run p
    Assert.Contains("vec.reduce[sum]", Vec.print v)
    let got = (Backend.Runtime.compile v).Run [ x ] |> List.head |> NdArray.toFloats
    let want = Backend.Interpreter.evalJaxpr (trace f [ x ]).Jaxpr [] [ x ] |> List.head |> NdArray.toFloats
    Array.iter2 (fun (a: float) b -> Assert.True(abs (a - b) <= 1e-5 * abs b, $"{a} vs {b}")) want got

[<Fact>]
let ``a predicate from an iota joins the kernel that selects with it, and compares i32 lanes in vectors`` () =
    // where(arange(40) == 3, x, y * 2): the compare reads an iota, the select a kernel boundary
    let f (args: Value list) =
        let hit = N.equal (A.arange I32 40) (Concrete(NdArray.scalar I32 true 3.0))
        [ N.where hit args[0] (N.multiply args[1] (Concrete(NdArray.scalar F32 true 2.0))) ]
    let x, y = f32 [| 40 |], NdArray.ofFloat32 [| 40 |] (Array.init 40 (fun i -> float32 i))
    let closed = trace f [ x; y ] |> Passes.Inline.inlineCalls |> fst
    let k, _ = fuse closed
    // one kernel: the mul (level 0, read only by the select at the same index) sinks into the
    // level of the compare that follows the iota, instead of a kernel and a buffer of its own
    let ops = fusions k |> List.map (fun fu -> fu.Body.Eqns |> List.map (fun e -> e.Op))
    Assert.Equal<Lax.Prim list list>([ List.sort [ Lax.Eq; Lax.Mul; Lax.SelectN ] ], ops |> List.map List.sort)
    let p, _ = lower closed
    let v, stats = Passes.Vectorize.run p
    Assert.Empty(Vec.verify false v)
    Assert.Equal(1, (stats |> List.head |> fun (_, n, _) -> n))
    let text = Vec.print v
    Assert.Contains(": i32[8]", text)
    Assert.Contains(": bool[8]", text)
    let got = (Backend.Runtime.compile v).Run [ x; y ] |> List.head |> NdArray.toFloats
    let want = Backend.Interpreter.evalJaxpr closed.Jaxpr [] [ x; y ] |> List.head |> NdArray.toFloats
    Assert.Equal<float[]>(want, got)

[<Fact>]
let ``a transpose of a reshape's alias is not written in place over the reshape's operand`` () =
    // found by the every-pass property: the identity copy of max(a, axes=()) aliases its operand,
    // and the transpose reading that alias through a permuted view took the operand's slot
    let f (args: Value list) =
        let b = A.transpose (Some [ 0; 2; 1 ]) (A.reshape [ 1; 3; 2 ] (A.max (Some []) true args[0]))
        [ A.mean (Some [ 0; 1; 2 ]) true (A.concatenate 0 [ b; b; b ]) ]
    let x = NdArray.ofFloats F64 [| 2; 3 |] [| -0.862562; -0.612876; -0.898921; -0.941139; -0.444278; 0.798018 |]
    let closed = trace f [ x ]
    let p, _ = lower closed
    let want = Backend.Interpreter.evalJaxpr closed.Jaxpr [] [ x ] |> List.head |> NdArray.toFloats
    let got = (Backend.Runtime.compile p).Run [ x ] |> List.head |> NdArray.toFloats
    // the sum's order may round differently; the bug gave -0.534 for -0.494
    Assert.True(abs (want[0] - got[0]) <= 1e-12, $"{want[0]} vs {got[0]}")

[<Fact>]
let ``a loop over integers or mixed element types stays scalar`` () =
    let f (args: Value list) = [ N.add args[0] (Concrete(NdArray.scalar I32 true 1.0)) ]
    let x = NdArray.ofInt32 [| 40 |] (Array.init 40 id)
    let p, _ = lower (trace f [ x ])
    let v, stats = Passes.Vectorize.run p
    Assert.Equal(0, (stats |> List.head |> fun (_, n, _) -> n))
    Assert.True(isScalarOnly v)

[<Fact>]
let ``a reshape between kernels aliases its operand's storage instead of copying`` () =
    let f (args: Value list) =
        let y = N.exp args[0]
        [ A.dot (A.reshape [ 4; 6 ] y) args[1] ]
    let x, w = f32 [| 2; 12 |], f32 [| 6; 3 |]
    let closed = trace f [ x; w ]
    let p, _ = lower closed
    // the exp kernel, then the GEMM call: no copy loop for the reshape
    let loops = p.Body |> List.filter (fun s -> match s with For _ -> true | _ -> false)
    Assert.Equal(1, loops.Length)
    let got = (Backend.Runtime.compile p).Run [ x; w ] |> List.head |> NdArray.toFloats
    let want = Backend.Interpreter.evalJaxpr closed.Jaxpr closed.Consts [ x; w ] |> List.head |> NdArray.toFloats
    Array.iter2 (fun (a: float) b -> Assert.True(abs (a - b) <= 1e-5 * (1.0 + abs a), $"{a} vs {b}")) want got

[<Fact>]
let ``a transposed read vectorizes as a gather of strided lanes`` () =
    let f (args: Value list) = [ N.multiply (A.transpose (Some [ 1; 0 ]) args[0]) args[1] ]
    let x, y = f32 [| 19; 11 |], f32 [| 11; 19 |]
    let closed = trace f [ x; y ]
    let p, _ = lower closed
    let v, _ = Passes.Vectorize.run p
    Assert.Empty(Vec.verify false v)
    Assert.Contains("vec.gather %arg0", Vec.print v)
    Assert.Contains("stride 11", Vec.print v)
    let got = (Backend.Runtime.compile v).Run [ x; y ] |> List.head |> NdArray.toFloats
    let want = Backend.Interpreter.evalJaxpr closed.Jaxpr closed.Consts [ x; y ] |> List.head |> NdArray.toFloats
    Assert.Equal<float[]>(want, got)

[<Fact>]
let ``iota and concatenate run as direct buffer calls and equal the interpreter`` () =
    for dtype in [ F32; F64; I32 ] do
        let f (args: Value list) =
            let i0 = Tracing.bind1 (Lax.Iota(dtype, [ 3; 4; 5 ], 0)) []
            let i1 = Tracing.bind1 (Lax.Iota(dtype, [ 3; 4; 5 ], 1)) []
            let i2 = Tracing.bind1 (Lax.Iota(dtype, [ 3; 4; 5 ], 2)) []
            [ Tracing.bind1 (Lax.Concatenate 1) [ i0; i1; i2 ] ]
        let closed = trace f []
        let want = Backend.Interpreter.evalJaxpr closed.Jaxpr closed.Consts []
        let got = (Jit.compileWith PassManager.Options.empty ignore closed).Run []
        Assert.Equal<NdArray list>(want, got)

[<Fact>]
let ``a loop kernel longer than maxKernelOps is cut into kernels in program order`` () =
    // 64 ops per kernel over 20 and 1000 elements (one core, vectors), 256 over a scalar
    for shape, most in [ [| 20 |], 64; [| 1000 |], 64; [||], 256 ] do
        Assert.Equal(most, Passes.Fuse.maxKernelOps shape)
        let f (args: Value list) =
            let mutable x = args[0]
            for _ in 1 .. 3 * most / 2 do
                x <- N.sin (N.add x args[1])
            [ x ]
        let x, y = f32 shape, f32 shape
        let closed = trace f [ x; y ]
        let k, _ = fuse closed
        let sizes = fusions k |> List.map (fun f -> f.Body.Eqns.Length)
        Assert.Equal<int list>([ most; most; most ], sizes)
        Assert.Equal<NdArray list>(Backend.Interpreter.evalJaxpr closed.Jaxpr closed.Consts [ x; y ], Kernel.eval k [ x; y ])
    Assert.Equal(256, Passes.Fuse.maxKernelOps [| 256; 256 |])

[<Fact>]
let ``a long kernel is cut where the fewest values cross: at a recurrence's step boundary`` () =
    // five ops a step (y*i, sin, x*·, cos, +): cuts of 64 would fall mid-step with two values
    // crossing; the cut moves back to the step boundary at 60, where only x crosses
    let f (args: Value list) =
        let y = args[1]
        let mutable x = args[0]
        for i in 1 .. 30 do
            let yi = N.multiply y (Concrete(NdArray.scalar F32 true (float i)))
            x <- N.add (N.multiply x (N.sin yi)) (N.cos yi)
        [ x ]
    let x, y = f32 [| 1000 |], f32 [| 1000 |]
    let closed = trace f [ x; y ]
    let k, _ = fuse closed
    Assert.Equal<int list>([ 60; 60; 30 ], fusions k |> List.map (fun f -> f.Body.Eqns.Length))
    Assert.Equal<NdArray list>(Backend.Interpreter.evalJaxpr closed.Jaxpr closed.Consts [ x; y ], Kernel.eval k [ x; y ])

[<Fact>]
let ``fp-contract fuses a vector multiply-add into one rounding; disabled, both roundings stay`` () =
    // a = b = 1 + 2^-12, c = -(1 + 2^-11): a*b rounds to -c, so only the fma keeps 2^-24
    let n = 37
    let a = NdArray.ofFloat32 [| n |] (Array.create n 1.000244140625f)
    let c = NdArray.ofFloat32 [| n |] (Array.create n -1.00048828125f)
    let closed = trace (fun args -> [ N.add (N.multiply args[0] args[1]) args[2] ]) [ a; a; c ]
    let run flags = (Jit.compileWith (PassManager.parseFlags flags PassManager.Options.empty) ignore closed).Run [ a; a; c ] |> List.head |> NdArray.toFloats
    let fused = float (MathF.FusedMultiplyAdd(1.000244140625f, 1.000244140625f, -1.00048828125f))
    let unfused = float (1.000244140625f * 1.000244140625f + -1.00048828125f)
    Assert.NotEqual(fused, unfused)
    // the vector loop covers 32 lanes (fused where the CPU has FMA3); the scalar tail's 5 are not
    let vectorLanes = if Backend.EmitVector.fmaSupported then fused else unfused
    Assert.Equal<float[]>(Array.append (Array.create 32 vectorLanes) (Array.create 5 unfused), run "")
    Assert.Equal<float[]>(Array.create n unfused, run "--disable-pass=fp-contract")

[<Fact>]
let ``a contiguous slice of an argument read by a GEMM is a view of the argument, not a copy`` () =
    // the MLP's weights are slices of one flat parameter vector: each becomes loop.view %arg0[offset]
    let f (args: Value list) =
        let w = A.reshape [ 4; 3 ] (Tracing.bind1 (Lax.Slice([ 6 ], [ 18 ], None)) [ args[0] ])
        [ A.dot args[1] w ]
    let flat, x = f32 [| 20 |], f32 [| 2; 4 |]
    let closed = trace f [ flat; x ]
    let p, _ = lower closed
    Assert.Empty(Vec.verify true p)
    let views = p.Temps |> List.choose (fun b -> match b.Kind with View(source, offset) -> Some(Buffer.name source, offset) | _ -> None)
    Assert.Contains(("%arg0", 6), views)
    Assert.DoesNotContain(p.Body, fun s -> match s with For _ -> true | _ -> false)
    Assert.Contains("loop.view %arg0[6] : f32[4,3]", Vec.print p)
    let got = (Backend.Runtime.compile p).Run [ flat; x ] |> List.head |> NdArray.toFloats
    let want = Backend.Interpreter.evalJaxpr closed.Jaxpr closed.Consts [ flat; x ] |> List.head |> NdArray.toFloats
    Array.iter2 (fun (a: float) b -> Assert.True(abs (a - b) <= 1e-5 * (1.0 + abs a), $"{a} vs {b}")) want got

[<Fact>]
let ``a concatenation's computed operands are written straight into its storage`` () =
    // exp writes the first block, the GEMM (through its reshape) the second: no copies; with an
    // argument as a third operand the concatenate call stays, to copy that one
    let concatCalls (p: VecProgram) = p.Body |> List.filter (fun s -> match s with Call(Lax.Concatenate _, _, _) -> true | _ -> false)
    for withArg in [ false; true ] do
        let f (args: Value list) =
            let a = N.exp args[0]
            let b = A.reshape [ 6 ] (A.dot args[1] args[2])
            [ N.sin (A.concatenate 0 ([ a; b ] @ (if withArg then [ args[0] ] else []))) ]
        let inputs = [ f32 [| 5 |]; f32 [| 2; 4 |]; f32 [| 4; 3 |] ]
        let closed = trace f inputs
        let p, _ = lower closed
        Assert.Empty(Vec.verify true p)
        let offsets = p.Temps |> List.choose (fun b -> match b.Kind with View(source, offset) when source.Aval.Shape = [| (if withArg then 16 else 11) |] -> Some offset | _ -> None)
        Assert.Equal<int list>([ 0; 5; 5 ], List.sort offsets) // exp's block; the GEMM's, seen as [2,3] and as [6]
        Assert.Equal((if withArg then 1 else 0), (concatCalls p).Length)
        let got = (Backend.Runtime.compile p).Run inputs |> List.head |> NdArray.toFloats
        let want = Backend.Interpreter.evalJaxpr closed.Jaxpr closed.Consts inputs |> List.head |> NdArray.toFloats
        Array.iter2 (fun (a: float) b -> Assert.True(abs (a - b) <= 1e-5 * (1.0 + abs a), $"{a} vs {b}")) want got
