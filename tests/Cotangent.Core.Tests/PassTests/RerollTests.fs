/// The `reroll` pass and the `scan` it makes: C# loops traced under grad, jacrev and plain
/// evaluation roll into scans that compute the interpreter's values bit for bit; the runs that must
/// not roll stay as they are; scan's type rule, interpreter, text forms and lowering to one loop
/// (reversed, with consts, vector carries and a reduction in the body) against the interpreter.
module Cotangent.Core.Tests.RerollTests

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Tracing
open Cotangent.Core.Passes
open Cotangent.Core.PassManager
open Cotangent.Core.Tests.LaxPassTests
module N = Cotangent.Core.Numpy
module A = Cotangent.Core.NumpyArrays
module L = Cotangent.Core.LaxOps

/// Rows near 1, so that a product of many steps neither vanishes nor overflows.
let nearOne (shape: int[]) (seed: int) =
    let rng = Random(seed)
    NdArray.ofFloat32 shape (Array.init (Shape.size shape) (fun _ -> 1.0f + 0.01f * float32 (rng.NextDouble() - 0.5)))

/// The seed's loop: x *= p*p - p*p*p - p over the rows of a.
let seedLoop (xs: Value list) =
    let mutable x = Concrete(NdArray.scalar F32 true 1.0)
    for p in A.rows xs.Head do
        x <- N.multiply x (N.subtract (N.subtract (N.multiply p p) (N.multiply (N.multiply p p) p)) p)
    [ x ]

/// A loop over the rows of a [n, k] matrix with a vector carry and a second, scalar carry.
let private vectorLoop (xs: Value list) =
    let k = (Value.aval xs.Head).Shape[1]
    let mutable x = Concrete(NdArray.ofFloat32 [| k |] (Array.create k 0.5f))
    let mutable s = Concrete(NdArray.scalar F32 true 0.0)
    for p in A.rows xs.Head do
        x <- N.add (N.multiply (N.tanh x) p) (N.sin p)
        s <- N.add s (A.sum None false (N.multiply x p))
    [ x; s ]

let private traced (f: Value list -> Value list) (x: NdArray) = Api.makeJaxpr f [ Concrete x ]
let private jacrev f xs = Api.jacrev f [ 0 ] xs |> List.concat
let private grad f xs = Api.grad (fun ys -> A.sum None false (List.head (f ys))) [ 0 ] xs
let private rolled (closed: ClosedJaxpr<Prim>) =
    let cleaned = fst (Dce.dce (fst (Inline.inlineCalls closed)))
    let after, stats = run Reroll.reroll cleaned
    cleaned, after, stats
let private scans (closed: ClosedJaxpr<Prim>) = closed.Jaxpr.Eqns |> List.filter (fun e -> match e.Op with Scan _ -> true | _ -> false)
let private bits (xs: NdArray list) = xs |> List.map (fun x -> x.Aval, NdArray.toFloats x)

[<Fact>]
let ``the seed loop's jacrev rolls into a forward and a backward scan with the same values bit for bit`` () =
    let x = nearOne [| 40 |] 1
    let before, after, stats = rolled (traced (jacrev seedLoop) x)
    Assert.Equal(2, value "num-rolled" stats)
    Assert.True(value "num-rolled-eqns" stats > before.Jaxpr.Eqns.Length * 9 / 10)
    Assert.True(after.Jaxpr.Eqns.Length < 100, raw after)
    match scans after with
    | [ forward; backward ] ->
        let s = match forward.Op, backward.Op with Scan f, Scan b -> f, b | _ -> failwith "not scans"
        // the running product is the forward carry; the backward scan carries its cotangent
        Assert.Equal(1, (fst s).NumCarry)
        Assert.Equal(1, (snd s).NumCarry)
        Assert.True((fst s).Length >= 38 && (snd s).Length >= 38)
        // the backward scan reads the residuals last step first: a reversed scan, no rev copies
        Assert.False((fst s).Reverse)
        Assert.True((snd s).Reverse)
        Assert.Equal(0, count "rev[dimensions=(0,)]" (raw after))
    | other -> failwith $"{other.Length} scans"
    Assert.Equal<(Aval * float[]) list>(bits (eval before [ x ]), bits (eval after [ x ]))

[<Fact>]
let ``grad of a loop with two carries, one a vector, rolls and keeps its values`` () =
    let x = nearOne [| 24; 3 |] 2
    let before, after, stats = rolled (traced (grad vectorLoop) x)
    Assert.True(value "num-rolled" stats >= 2, raw after)
    Assert.True(after.Jaxpr.Eqns.Length * 5 < before.Jaxpr.Eqns.Length)
    Assert.Equal<(Aval * float[]) list>(bits (eval before [ x ]), bits (eval after [ x ]))

[<Fact>]
let ``a block reading the two blocks before it rolls two steps at a time (Fibonacci carries two values)`` () =
    let fib (xs: Value list) =
        let mutable a, b = xs.Head, N.add xs.Head xs.Head
        for _ in 1 .. 40 do
            let c = N.add (N.multiply a (Concrete(NdArray.scalar F32 true 0.5))) b
            a <- b
            b <- c
        [ b ]
    let x = NdArray.ofFloat32 [| 3 |] [| 0.1f; 0.2f; 0.3f |]
    let before, after, stats = rolled (traced fib x)
    Assert.Equal(1, value "num-rolled" stats)
    Assert.Equal<(Aval * float[]) list>(bits (eval before [ x ]), bits (eval after [ x ]))

[<Fact>]
let ``windows moving by half their width roll two steps at a time, as two xs`` () =
    let overlapping (xs: Value list) =
        let mutable acc = Concrete(NdArray.scalar F32 true 0.0)
        for i in 0 .. 38 do
            acc <- N.add acc (A.sum None false (N.sin (L.slice [ i ] [ i + 2 ] None xs.Head)))
        [ acc ]
    let x = nearOne [| 40 |] 3
    let before, after, stats = rolled (traced overlapping x)
    Assert.Equal(1, value "num-rolled" stats)
    match scans after with
    | [ e ] -> Assert.Equal(3, e.Inputs.Length) // the initial sum and two stacks of windows
    | other -> failwith $"{other.Length} scans"
    Assert.Equal<(Aval * float[]) list>(bits (eval before [ x ]), bits (eval after [ x ]))

[<Fact>]
let ``windows that do not move affinely, iota-built one-hot tangents and short runs are not rolled`` () =
    let scattered (xs: Value list) =
        let mutable acc = Concrete(NdArray.scalar F32 true 0.0)
        for i in 0 .. 38 do
            let s = i * 7 % 37
            acc <- N.add acc (N.sin (L.squeeze [ 0 ] (L.slice [ s ] [ s + 1 ] None xs.Head)))
        [ acc ]
    let x = nearOne [| 40 |] 3
    for closed in [ traced scattered x; traced (fun xs -> Api.jacfwd seedLoop [ 0 ] xs |> List.concat) x
                    traced seedLoop (nearOne [| 3 |] 4) ] do
        let before, after, stats = rolled closed
        Assert.True(0 = value "num-rolled" stats, raw after)
        Assert.Equal(text before, text after)

[<Fact>]
let ``a loop carrying more than maxCarriedBytes stays unrolled, so that its steps still fuse`` () =
    let relax (xs: Value list) =
        let mutable x = xs.Head
        for _ in 1 .. 40 do
            x <- N.add (N.multiply x (Concrete(NdArray.scalar F32 true 0.99))) (N.sin x)
        [ x ]
    let small, large = RerollPlan.maxCarriedBytes / 4, RerollPlan.maxCarriedBytes / 4 + 1
    let _, after, stats = rolled (traced relax (nearOne [| small |] 7))
    Assert.True(1 = value "num-rolled" stats, raw after)
    let before, after, stats = rolled (traced relax (nearOne [| large |] 7))
    Assert.Equal(0, value "num-rolled" stats)
    Assert.Equal(text before, text after)

// ---------------------------------------------------------------------------------------------
// Rolled programs through the whole jit, against the interpreter on the unrolled program.

let private verifying = { Options.empty with VerifyEach = true }

let private close (expected: NdArray list) (actual: NdArray list) =
    Assert.Equal(expected.Length, actual.Length)
    for e, a in List.zip expected actual do
        Assert.Equal(Aval.str e.Aval, Aval.str a.Aval)
        Array.iter2 (fun (x: float) (y: float) ->
            if abs (x - y) > 1e-5 + 1e-4 * abs x then failwith $"expected {x:R}, got {y:R} in {Aval.str e.Aval}") (NdArray.toFloats e) (NdArray.toFloats a)

[<Property(MaxTest = 60)>]
let ``jitted loops, their grads and jacobians equal the interpreter with the loops rolled`` (steps: int) (width: int) (transform: int) (seed: int) =
    let steps, width, transform = 1 + abs steps % 48, 1 + abs width % 4, abs transform % 4
    let x = nearOne [| steps; width |] seed
    let f =
        match transform with
        | 0 -> vectorLoop
        | 1 -> grad vectorLoop
        | 2 -> jacrev (fun xs -> [ List.last (vectorLoop xs) ])
        | _ -> fun xs -> [ A.sum None false (List.head (grad vectorLoop xs)) ]
    let closed = traced f x
    let compiled = Jit.compileWith verifying ignore closed
    close (eval closed [ x ]) (compiled.Run [ x ])
    // long enough loops do roll (the pipeline runs reroll after dce)
    if steps >= 16 then
        let _, after, stats = rolled closed
        Assert.True(value "num-rolled" stats >= 1, raw after)

// ---------------------------------------------------------------------------------------------
// scan itself

let private program (text: string) = LaxParse.parseOrFail text

/// A reversed scan with a const, a vector carry, two xs, a ys, and a reduction in its body.
let private scanText =
    "{ lambda ; a:f32[] b:f32[3] c:f32[5,3] d:f32[5]. let\n"
    + "    e:f32[3] f:f32[5] g:f32[5,3] = scan[_split_transpose=False jaxpr={ lambda ; k:f32[] h:f32[3] x:f32[3] y:f32[]. let\n"
    + "        m:f32[3] = mul h x\n        n:f32[3] = add m k\n        o:f32[] = reduce_sum[axes=(0,)] n\n        p:f32[] = mul o y\n"
    + "        q:f32[3] = mul n 0.5\n      in (q, p, n) } length=5 linear=(False, False, False, False) num_carry=1 num_consts=1 reverse=True unroll=1] a b c d\n"
    + "  in (e, f, g) }"

[<Fact>]
let ``scan runs its body in order (reversed here) and stacks the ys; jit lowers it to one loop with the same values`` () =
    let closed = program scanText
    let a, b = NdArray.scalar F32 false 0.25, NdArray.ofFloat32 [| 3 |] [| 0.5f; -0.5f; 1.0f |]
    let c, d = nearOne [| 5; 3 |] 5, nearOne [| 5 |] 6
    let outs = eval closed [ a; b; c; d ]
    // the reference: the steps by hand, last row first
    let cs, ds = NdArray.toFloats c, NdArray.toFloats d
    let mutable h = [| 0.5f; -0.5f; 1.0f |]
    let f, g = Array.zeroCreate 5, Array.zeroCreate 15
    for i in 4 .. -1 .. 0 do
        let n = Array.init 3 (fun k -> h[k] * float32 cs[3 * i + k] + 0.25f)
        f[i] <- Array.sum n * float32 ds[i]
        Array.blit n 0 g (3 * i) 3
        h <- n |> Array.map (fun v -> v * 0.5f)
    close [ NdArray.ofFloat32 [| 3 |] h; NdArray.ofFloat32 [| 5 |] f; NdArray.ofFloat32 [| 5; 3 |] g ] outs
    let compiled = Jit.compileWith verifying ignore closed
    close outs (compiled.Run [ a; b; c; d ])
    // one sequential loop over the steps, no whole-buffer call
    let text = Jit.text compiled
    Assert.DoesNotContain("loop.call", text)

[<Fact>]
let ``scan's text reads back in both forms, and its type rule names what does not fit`` () =
    let closed = program scanText
    Assert.Equal(LaxText.print closed.Jaxpr, LaxText.print (program (LaxText.print closed.Jaxpr)).Jaxpr)
    let generic = LaxGeneric.print closed
    match LaxGeneric.parse generic with
    | Ok back -> Assert.Equal(generic, LaxGeneric.print back)
    | Error e -> failwith e.Message
    let body = match (List.head closed.Jaxpr.Eqns).Op with Scan s -> s | _ -> failwith "not a scan"
    let avals = [ Aval.scalar F32; Aval.make F32 [| 3 |]; Aval.make F32 [| 5; 3 |]; Aval.make F32 [| 5 |] ]
    let wrongLength = Assert.Throws<CotangentException>(fun () -> LaxTypes.abstractEval (Scan { body with Length = 4 }) avals |> ignore)
    Assert.Equal("scan", wrongLength.Primitive)
    Assert.Contains("leading dimension of the length 4", wrongLength.Message)
    let wrongCarry = Assert.Throws<CotangentException>(fun () -> LaxTypes.abstractEval (Scan { body with NumCarry = 2 }) avals |> ignore)
    Assert.Contains("carry", wrongCarry.Message)

[<Fact>]
let ``vmap of a scan batches its consts, carries and xs, and equals the scan run per example`` () =
    let closed = program scanText
    let example k =
        [ NdArray.scalar F32 false (0.25 + 0.5 * float k); NdArray.ofFloat32 [| 3 |] [| 0.5f; -0.5f + float32 k; 1.0f |]
          nearOne [| 5; 3 |] (5 + k); nearOne [| 5 |] (6 + k) ]
    let examples = [ example 0; example 1 ]
    // arrays of two examples stacked along `axis`
    let stackAt (axis: int) (xs: NdArray list) =
        let shape = xs.Head.Aval.Shape
        let outer, inner = Shape.size shape[.. axis - 1], Shape.size shape[axis ..]
        let data = xs |> List.map NdArray.toFloats
        let stacked = Array.init (2 * outer * inner) (fun i -> let o, rest = i / (2 * inner), i % (2 * inner) in data[rest / inner][o * inner + rest % inner])
        NdArray.ofFloat32 (Array.insertAt axis 2 shape) (Array.map float32 stacked)
    let f (xs: Value list) = evalJaxpr closed.Jaxpr [] xs
    let perExample = examples |> List.map (eval closed)
    let expected = List.init 3 (fun j -> stackAt 0 (perExample |> List.map (fun outs -> outs[j])))
    // which operands are batched, and along which axis (c, the xs, along its second)
    for axes in [ [ Some 0; None; None; None ]; [ None; Some 0; None; None ]; [ None; None; Some 1; None ]
                  [ None; None; None; Some 0 ]; [ Some 0; Some 0; Some 1; Some 0 ] ] do
        let args = List.init 4 (fun i -> match axes[i] with Some a -> stackAt a (examples |> List.map (fun e -> e[i])) | None -> examples.Head[i])
        // an unbatched operand is the first example's: compare against that example's values
        let reference =
            if List.forall Option.isSome axes then expected
            else
                let mixed k = List.init 4 (fun i -> if axes[i].IsSome then (example k)[i] else (example 0)[i])
                let outs = [ eval closed (mixed 0); eval closed (mixed 1) ]
                List.init 3 (fun j -> stackAt 0 (outs |> List.map (fun o -> o[j])))
        let got = Api.vmap f axes [ Some 0; Some 0; Some 0 ] (List.map Concrete args) |> List.map (function Concrete a -> a | v -> failwith $"{v}")
        close reference got

[<Fact>]
let ``jvp and jacfwd of a scan equal central differences, the carry's tangent nonzero wherever a step makes it so`` () =
    let closed = program (scanText.Replace("f32", "f64"))
    let f (xs: Value list) = evalJaxpr closed.Jaxpr [] xs
    let rng = Random(11)
    let random (shape: int[]) = NdArray.ofFloat64 shape (Array.init (Shape.size shape) (fun _ -> rng.NextDouble() - 0.5))
    let args = [ NdArray.scalar F64 false 0.25; NdArray.ofFloat64 [| 3 |] [| 0.5; -0.5; 1.0 |]; random [| 5; 3 |]; random [| 5 |] ]
    let along (s: float) (ts: NdArray list) =
        List.map2 (fun (a: NdArray) (t: NdArray) -> NdArray.ofFloat64 a.Aval.Shape (Array.map2 (fun x d -> x + s * d) (NdArray.toFloats a) (NdArray.toFloats t))) args ts
    let difference (ts: NdArray list) =
        let eps = 1e-6
        List.map2 (fun (p: NdArray) (m: NdArray) -> NdArray.ofFloat64 p.Aval.Shape (Array.map2 (fun x y -> (x - y) / (2.0 * eps)) (NdArray.toFloats p) (NdArray.toFloats m)))
            (eval closed (along eps ts)) (eval closed (along -eps ts))
    let near (expected: NdArray list) (actual: NdArray list) =
        List.iter2 (fun (e: NdArray) (a: NdArray) ->
            Array.iter2 (fun (x: float) (y: float) -> if abs (x - y) > 1e-6 * (1.0 + abs x) then failwith $"expected {x}, got {y}") (NdArray.toFloats e) (NdArray.toFloats a)) expected actual
    let zeroLike (a: NdArray) = NdArray.ofFloat64 a.Aval.Shape (Array.zeroCreate (Aval.size a.Aval))
    let directions = args |> List.map (fun a -> random a.Aval.Shape)
    // the carry's initial value a constant of g, so its tangent is a symbolic zero: differentiating
    // by the const alone, the carry's tangent appears after one step (the fixpoint); by y alone,
    // only the ys have tangents
    let g (xs: Value list) = f [ xs[0]; Concrete args[1]; xs[1]; xs[2] ]
    let primals = [ args[0]; args[2]; args[3] ]
    for mask in [ [ true; true; true ]; [ false; true; false ]; [ true; false; false ]; [ false; false; true ] ] do
        let ts = List.map2 (fun m (d: NdArray) -> if m then d else zeroLike d) mask [ directions[0]; directions[2]; directions[3] ]
        let _, touts = Api.jvp (fun xs -> g xs) (List.map Concrete primals) (List.map Concrete ts)
        near (difference [ ts[0]; zeroLike args[1]; ts[1]; ts[2] ]) (touts |> List.map (function Concrete a -> a | v -> failwith $"{v}"))
    // jacfwd through the carry's initial value: vmap of the jvp'd scan
    let jac = Api.jacfwd (fun xs -> [ List.head (f xs) ]) [ 1 ] (List.map Concrete args) |> List.head |> List.head
    let unit j = NdArray.ofFloat64 [| 3 |] (Array.init 3 (fun k -> if k = j then 1.0 else 0.0))
    let columns = List.init 3 (fun j -> List.head (difference (args |> List.mapi (fun i a -> if i = 1 then unit j else zeroLike a))))
    let expected = NdArray.ofFloat64 [| 3; 3 |] (Array.init 9 (fun i -> (NdArray.toFloats columns[i % 3])[i / 3]))
    near [ expected ] [ (match jac with Concrete a -> a | v -> failwith $"{v}") ]

[<Fact>]
let ``linearize splits a scan into a known scan now and a staged linear scan with stacked residuals, equal to jvp`` () =
    let closed = program scanText
    let f (xs: Value list) = evalJaxpr closed.Jaxpr [] xs
    let args = [ NdArray.scalar F32 false 0.25; NdArray.ofFloat32 [| 3 |] [| 0.5f; -0.5f; 1.0f |]; nearOne [| 5; 3 |] 5; nearOne [| 5 |] 6 ]
    let rng = Random(12)
    let random (a: NdArray) = NdArray.ofFloat32 a.Aval.Shape (Array.init (Aval.size a.Aval) (fun _ -> float32 (rng.NextDouble() - 0.5)))
    // the carry's initial value a constant: its tangent is a symbolic zero the steps make nonzero
    let g (xs: Value list) = f [ xs[0]; Concrete args[1]; xs[1]; xs[2] ]
    let primals = [ args[0]; args[2]; args[3] ] |> List.map Concrete
    let outs, lin = Api.linearize g primals
    close (eval closed args) (outs |> List.map (function Concrete a -> a | v -> failwith $"{v}"))
    // the linear program is one scan of the tangents, reading the residuals as xs
    match lin.Jaxpr.Eqns |> List.filter (fun e -> match e.Op with Scan _ -> true | _ -> false) with
    | [ e ] -> Assert.True((match e.Op with Scan s -> s.NumCarry = 1 | _ -> false), LaxText.print lin.Jaxpr)
    | other -> failwith $"{other.Length} scans in\n{LaxText.print lin.Jaxpr}"
    for _ in 1 .. 3 do
        let ts = [ random args[0]; random args[2]; random args[3] ] |> List.map Concrete
        let _, expected = Api.jvp g primals ts
        let unwrap = List.map (function Concrete a -> a | v -> failwith $"{v}")
        close (unwrap expected) (unwrap (Api.applyLinear lin ts))

[<Fact>]
let ``grad of a scan (partial evaluation, then the transposed scan) equals central differences`` () =
    let closed = program (scanText.Replace("f32", "f64"))
    let rng = Random(13)
    let random (shape: int[]) = NdArray.ofFloat64 shape (Array.init (Shape.size shape) (fun _ -> rng.NextDouble() - 0.5))
    let args = [ NdArray.scalar F64 false 0.25; NdArray.ofFloat64 [| 3 |] [| 0.5; -0.5; 1.0 |]; random [| 5; 3 |]; random [| 5 |] ]
    let weights = [ random [| 3 |]; random [| 5 |]; random [| 5; 3 |] ]
    let loss (xs: Value list) =
        let outs = evalJaxpr closed.Jaxpr [] xs
        List.map2 (fun o w -> A.sum None false (N.multiply o (Concrete w))) outs weights |> List.reduce N.add
    let value (xs: NdArray list) = match loss (List.map Concrete xs) with Concrete a -> NdArray.item 0 a | v -> failwith $"{v}"
    let grads = Api.grad loss [ 0; 1; 2; 3 ] (List.map Concrete args) |> List.map (function Concrete a -> NdArray.toFloats a | v -> failwith $"{v}")
    let eps = 1e-6
    args |> List.iteri (fun i a ->
        for k in 0 .. Aval.size a.Aval - 1 do
            let nudged (s: float) =
                args |> List.mapi (fun j b -> if j <> i then b else NdArray.ofFloat64 b.Aval.Shape (NdArray.toFloats b |> Array.mapi (fun m x -> if m = k then x + s else x)))
            let fd = (value (nudged eps) - value (nudged -eps)) / (2.0 * eps)
            let g = grads[i][k]
            if abs (fd - g) > 1e-6 * (1.0 + abs fd) then failwith $"d loss / d arg {i}[{k}]: central difference {fd}, grad {g}")
    // jacrev (vmap of the transposed scan) agrees with jacfwd (vmap of the jvp'd scan)
    let first (xs: Value list) = [ List.head (evalJaxpr closed.Jaxpr [] xs) ]
    let unwrap (v: Value) = match v with Concrete a -> NdArray.toFloats a | v -> failwith $"{v}"
    for argnum in [ 0; 1; 2 ] do
        let rev = Api.jacrev first [ argnum ] (List.map Concrete args) |> List.head |> List.head |> unwrap
        let fwd = Api.jacfwd first [ argnum ] (List.map Concrete args) |> List.head |> List.head |> unwrap
        Array.iter2 (fun (x: float) (y: float) -> if abs (x - y) > 1e-9 * (1.0 + abs x) then failwith $"jacrev {y} against jacfwd {x} (argument {argnum})") fwd rev

