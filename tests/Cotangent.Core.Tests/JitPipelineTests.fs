/// The jit pipeline end to end: the seed's compiled text (CSE and fusion), the dump flags on the
/// real pipeline, each pass alone preserving the interpreter's results with the verifier after
/// it, and the compiled executable against the interpreter on random programs, on sizes that
/// are not multiples of the vector width and above the threading threshold.
module Cotangent.Core.Tests.JitPipelineTests

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Tracing
open Cotangent.Core.PassManager
open Cotangent.Core.Tests.ProgramGen
open Cotangent.Core.Tests.ProgramRun
module N = Cotangent.Core.Numpy
module A = Cotangent.Core.NumpyArrays

let private seed (args: Value list) =
    let x1, x2 = args[0], args[1]
    let l = N.subtract (N.divide x1 x2) (N.exp x2)
    let r = N.subtract (N.add (N.sin (N.divide x1 x2)) (N.divide x1 x2)) (N.exp x2)
    [ N.multiply l r ]

let private weak = NdArray.scalar F32 true 1.0
let private traced f (args: NdArray list) = Api.makeJaxpr f (args |> List.map Concrete)
let private verifying = { Options.empty with VerifyEach = true }
let private compile options closed = Jit.compileWith options ignore closed
let private count (word: string) (text: string) =
    text.Split([| ' '; '\n' |], StringSplitOptions.RemoveEmptyEntries) |> Array.filter ((=) word) |> Array.length

let private f32s (shape: int[]) (seed: int) =
    let rng = Random(seed)
    NdArray.ofFloat32 shape (Array.init (Shape.size shape) (fun _ -> float32 (rng.NextDouble() * 2.0 + 0.5)))

let private f64s (shape: int[]) (seed: int) =
    let rng = Random(seed)
    NdArray.ofFloat64 shape (Array.init (Shape.size shape) (fun _ -> rng.NextDouble() * 2.0 + 0.5))

/// |a - b| <= atol + rtol |b| elementwise, same avals; NaN matches NaN.
let private close (rtol: float) (atol: float) (expected: NdArray list) (actual: NdArray list) =
    Assert.Equal(expected.Length, actual.Length)
    for e, a in List.zip expected actual do
        Assert.Equal(Aval.str e.Aval, Aval.str a.Aval)
        let xs, ys = NdArray.toFloats e, NdArray.toFloats a
        for i in 0 .. xs.Length - 1 do
            let x, y = xs[i], ys[i]
            let ok = (Double.IsNaN x && Double.IsNaN y) || x = y || abs (x - y) <= atol + rtol * abs x
            if not ok then failwith $"element {i} of {Aval.str e.Aval}: expected {x:R}, got {y:R}"

[<Fact>]
let ``the seed compiles to one fused kernel with one div and one exp`` () =
    let c = compile verifying (traced seed [ weak; weak ])
    let text = Jit.text c
    Assert.Contains("loop.func", text)
    let kernels = text.Substring(0, text.IndexOf "loop.func")
    Assert.Equal(1, count "kernel.fusion[" (kernels.Replace("kernel.fusion[", " kernel.fusion[ ")))
    Assert.Equal(1, count "div" kernels)
    Assert.Equal(1, count "exp" kernels)
    let out = c.Run [ NdArray.scalar F32 true 1.0; NdArray.scalar F32 true 1.0 ]
    close 1e-6 1e-6 (Backend.Interpreter.evalJaxpr (traced seed [ weak; weak ]).Jaxpr [] [ weak; weak ]) out

[<Fact>]
let ``print-ir-after-all prints every pass of the pipeline with MLIR's header`` () =
    let text = Text.StringBuilder()
    let options = PassManager.parseFlags "--print-ir-after-all" verifying
    Jit.compileWith options (text.Append >> ignore) (traced seed [ weak; weak ]) |> ignore
    let s = text.ToString()
    for title, name in [ "Fuse", "fuse"; "LowerToLoops", "lower-to-loops"; "Vectorize", "vectorize" ] do
        Assert.Contains($"// -----// IR Dump After {title} ({name}) //----- //", s)

[<Fact>]
let ``a pass given the wrong dialect fails naming the pass, and after-failure shows its input`` () =
    let text = Text.StringBuilder()
    let options = PassManager.parseFlags "--pipeline=vectorize --print-ir-after-failure" verifying
    let e = Assert.ThrowsAny<CotangentException>(fun () -> Jit.compileWith options (text.Append >> ignore) (traced seed [ weak; weak ]) |> ignore)
    Assert.Equal("vectorize", e.Primitive)
    Assert.Contains("Failed (vectorize)", text.ToString())
    Assert.Contains("lax.div %0, %1", text.ToString())

[<Fact>]
let ``dump-dir writes one numbered file per snapshot and dot draws one cluster per kernel`` () =
    let dir = IO.Path.Combine(IO.Path.GetTempPath(), $"cotangent-{Guid.NewGuid():N}")
    try
        let options = PassManager.parseFlags $"--print-ir-after=fuse --dump-dir={dir} --dump-format=dot" verifying
        compile options (traced seed [ weak; weak ]) |> ignore
        let files = IO.Directory.GetFiles dir |> Array.map (fun f -> nonNull (IO.Path.GetFileName f))
        Assert.Equal<string[]>([| "00_fuse.dot" |], files)
        let dot = IO.File.ReadAllText(IO.Path.Combine(dir, files[0]))
        Assert.Contains("digraph", dot)
        Assert.Equal(1, (dot.Split("subgraph cluster_").Length - 1))
    finally
        if IO.Directory.Exists dir then IO.Directory.Delete(dir, true)

/// Programs from the autodiff generator and their value-and-gradients, through the pipeline.
let private programs (s: Sample) =
    let f = Program.toFunction s.Program
    let inputs = s.Inputs
    let grad (args: Value list) =
        let out (xs: Value list) = A.sum None false (List.head (f xs))
        let v, g = Api.valueAndGrad out [ 0 ] args
        v :: g
    [ traced f inputs; traced grad inputs ], inputs

/// Compiled kernels round exp/log/sin within their ulp bounds, not as the interpreter does: a
/// where/max/rem within rounding of switching may switch, so such samples are discarded (as the
/// vmap-against-a-loop property does).
let private nearKink (s: Sample) =
    Program.nearJump 1e-9 s.Program (Program.evalAll s.Program (s.Inputs |> List.map Concrete) |> List.map (function Concrete a -> a | Traced _ -> failwith "traced"))

[<Property(MaxTest = 300)>]
let ``every pass alone preserves the interpreter's results and verifies`` () =
    Prop.forAll (Generators.Sample()) (fun s ->
        not (nearKink s) ==> lazy (
        let closeds, inputs = programs s
        for closed in closeds do
            let expected = Backend.Interpreter.evalJaxpr closed.Jaxpr closed.Consts inputs
            let kernels, _ = Passes.Fuse.run closed
            Assert.Empty(Kernel.verify kernels.Jaxpr)
            close 0.0 0.0 expected (Kernel.eval kernels inputs)
            let loops, _ = Passes.LowerToLoops.run kernels
            Assert.Empty(Vec.verify true loops)
            close 1e-12 1e-12 expected ((Backend.Runtime.compile loops).Run inputs)
            let vec, _ = Passes.Vectorize.run loops
            Assert.Empty(Vec.verify false vec)
            close 1e-9 1e-9 expected ((Backend.Runtime.compile vec).Run inputs)))

[<Property(MaxTest = 300)>]
let ``the compiled program equals the interpreter on random programs and their gradients`` () =
    Prop.forAll (Generators.Sample()) (fun s ->
        not (nearKink s) ==> lazy (
        let closeds, inputs = programs s
        for closed in closeds do
            let expected = Backend.Interpreter.evalJaxpr closed.Jaxpr closed.Consts inputs
            close 1e-9 1e-9 expected ((compile verifying closed).Run inputs)))

/// The default pipeline's kernel and vec programs, printed, by calling the passes in turn.
let private passByPass (closed: ClosedJaxpr<Lax.Prim>) =
    let lax = closed |> Passes.Inline.inlineCalls |> fst |> Passes.Dce.dce |> fst |> Passes.Cse.cse |> fst |> Passes.Simplify.simplify |> fst
    let kernels = Passes.Fuse.run lax |> fst
    let vec = kernels |> Passes.LowerToLoops.run |> fst |> Passes.Vectorize.run |> fst |> Passes.FpContract.run |> fst
    Kernel.print kernels.Jaxpr + "\n\n" + Vec.print vec

[<Property(MaxTest = 100)>]
let ``the compiled text is the program the pipeline made, rebuilt when asked for`` () =
    Prop.forAll (Generators.Sample()) (fun s ->
        let closeds, _ = programs s
        closeds |> List.forall (fun closed ->
            // printed before the compile: its vars are other vars than the rebuilt program's
            let expected = passByPass closed
            Jit.text (compile Options.empty closed) = expected))

[<Fact>]
let ``the compiled text follows the compile's own pipeline flags`` () =
    let c = compile (parseFlags "--disable-pass=cse" Options.empty) (traced seed [ weak; weak ])
    let text = Jit.text c
    Assert.Equal(3, count "div" (text.Substring(0, text.IndexOf "loop.func")))

let private elementwise (args: Value list) =
    let x, y = args[0], args[1]
    [ N.add (N.multiply (N.tanh x) (N.exp (N.negative y))) (N.divide (N.sin x) (N.add (N.cos y) (Concrete(NdArray.scalar F32 true 3.0)))) ]

[<Theory>]
[<InlineData(1)>]
[<InlineData(7)>]
[<InlineData(9)>]
[<InlineData(1003)>]
[<InlineData(100_003)>]
let ``vectorized kernels with tails and threads equal the interpreter`` (n: int) =
    for make, rtol in [ f32s, 1e-5; f64s, 1e-12 ] do
        let inputs = [ make [| n |] 1; make [| n |] 2 ]
        let closed = traced elementwise inputs
        close rtol 1e-6 (Backend.Interpreter.evalJaxpr closed.Jaxpr closed.Consts inputs) ((compile verifying closed).Run inputs)

[<Theory>]
[<InlineData(0)>]
[<InlineData(1)>]
let ``reductions over either axis of a large matrix equal the interpreter`` (axis: int) =
    for make, rtol in [ f32s, 1e-4; f64s, 1e-11 ] do
        let x = make [| 301; 517 |] 3
        let softmaxSum (args: Value list) =
            let x = args[0]
            let m = A.max (Some [ axis ]) true x
            let e = N.exp (N.subtract x m)
            [ N.divide e (A.sum (Some [ axis ]) true e); A.sum (Some [ axis ]) false (N.multiply x x) ]
        let closed = traced softmaxSum [ x ]
        close rtol 1e-6 (Backend.Interpreter.evalJaxpr closed.Jaxpr closed.Consts [ x ]) ((compile verifying closed).Run [ x ])

/// Elementwise programs the vectorizer takes, over random sizes (most not multiples of 8 or 4,
/// some above the threading threshold) and both float types.
[<Property(MaxTest = 60)>]
let ``compiled elementwise kernels equal the interpreter at random sizes`` () =
    let sizes = Gen.frequency [ 3, Gen.choose (0, 40); 2, Gen.choose (41, 5000); 1, Gen.choose (100_000, 300_000) ]
    let cases = Gen.zip3 sizes (Gen.elements [ F32; F64 ]) (Gen.choose (0, 3))
    Prop.forAll (Arb.fromGen cases) (fun (n, dtype, which) ->
        let make seed = if dtype = F32 then f32s [| n |] seed else f64s [| n |] seed
        let inputs = [ make 1; make 2 ]
        let f (args: Value list) =
            let x, y = args[0], args[1]
            match which with
            | 0 -> seed args
            | 1 -> [ N.maximum (N.log x) (N.sigmoid y) ]
            | 2 -> [ N.where (N.less x y) (N.cos x) (N.tanh y) ]
            | _ -> [ N.multiply (N.sqrt x) (A.sum None true y) ]
        let closed = traced f inputs
        let rtol = if dtype = F32 then 2e-5 else 1e-12
        close rtol 1e-5 (Backend.Interpreter.evalJaxpr closed.Jaxpr closed.Consts inputs) ((compile verifying closed).Run inputs))
