/// jit as a primitive: a pjit equation that every transformation keeps (JAX's pjit rules), so
/// grad, jvp and vmap of a jitted function, and jit of a transformed one, print as JAX prints
/// them and compute what the unjitted function computes. Also the trace cache, the eager
/// executor hook, closures over tracers, and the concretization error.
///
/// The goldens cannot be checked against JAX here; each comment derives the text from JAX's
/// source (jax/_src/pjit.py of JAX 0.4.2x: _pjit_jvp, _pjit_partial_eval, _pjit_transpose,
/// _pjit_batcher, and the pjit printing rule that puts name= first). All rules bind with
/// `name=name`: the "jvp(f)" and "transpose(jvp(f))" one sees in HLO op names come from the
/// name stack (source info), which make_jaxpr does not print.
module Cotangent.Core.Tests.PjitTests

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open Cotangent.Core
open Cotangent.Core.Tracing
open Cotangent.Core.Tests.JaxprTextTests
open Cotangent.Core.Tests.ProgramCheck
open Cotangent.Core.Tests.ProgramRun
open Cotangent.Core.Tests.ProgramGen
open Cotangent.Core.Tests.ProgramProperties
module N = Cotangent.Core.Numpy
module A = Cotangent.Core.NumpyArrays
module L = Cotangent.Core.LaxOps

/// f(x) = sin(x) * x, the running example.
let private sinTimes (xs: Value list) = [ N.multiply (N.sin xs[0]) xs[0] ]

let private scalarLoss (f: Value list -> Value list) (xs: Value list) = (f xs).Head

// ---------------------------------------------------------------------------------------------
// Goldens.

[<Fact>]
let ``jvp of jit prints one pjit of the jvp jaxpr, named as the function`` () =
    // jax.make_jaxpr(lambda x, t: jax.jvp(jax.jit(f), (x,), (t,)))(1., 1.): _pjit_jvp binds
    // pjit(jvp_jaxpr) on (primals, nonzero tangents) with name=name. jvp_jaxpr traces the jvp
    // of the region: sin's standard_jvp binds sin, then cos and mul by the tangent; mul's
    // bilinear rule binds the primal mul, then t1 * x and sin(x) * t, summed with add_any.
    let expected =
        lines
            [ "{ lambda ; a:f32[] b:f32[]. let"
              "    c:f32[] d:f32[] = pjit["
              "      name=f"
              "      jaxpr={ lambda ; e:f32[] f:f32[]. let"
              "          g:f32[] = sin e"
              "          h:f32[] = cos e"
              "          i:f32[] = mul f h"
              "          j:f32[] = mul g e"
              "          k:f32[] = mul i e"
              "          l:f32[] = mul g f"
              "          m:f32[] = add_any k l"
              "        in (j, m) }"
              "    ] a b"
              "  in (c, d) }" ]
    let f = Api.jit "f" sinTimes
    Assert.Equal(expected, print (fun a -> let o, t = Api.jvp f [ a[0] ] [ a[1] ] in o @ t) [ weakScalar; weakScalar ])

[<Fact>]
let ``grad of jit prints the known pjit and the transposed pjit`` () =
    // jax.make_jaxpr(jax.grad(jax.jit(f)))(1.): linearize = jvp (above) under partial eval with
    // x known and t unknown. _pjit_partial_eval splits the jvp jaxpr with
    // partial_eval_jaxpr_nounits: the known region runs sin, cos, the primal mul and outputs the
    // primal and the residuals in toposort order of the unknown side (cos x for t * cos x, x for
    // t1 * x, sin x for sin x * t). _jaxpr_forwarding drops the residual x (an input), so the
    // known pjit outputs (primal, cos, sin) and the primal is unused (_). _pjit_transpose then
    // binds pjit(backward_pass of the unknown region) on the residuals (cos, x, sin) and the
    // output cotangent 1.0: add_any sends ct to both products; mul's transpose gives
    // sin * ct for t, ct * x for t1 and (ct * x) * cos for t; they sum with add_any in the
    // order backward_pass writes them.
    let expected =
        lines
            [ "{ lambda ; a:f32[]. let"
              "    _:f32[] b:f32[] c:f32[] = pjit["
              "      name=f"
              "      jaxpr={ lambda ; d:f32[]. let"
              "          e:f32[] = sin d"
              "          f:f32[] = cos d"
              "          g:f32[] = mul e d"
              "        in (g, f, e) }"
              "    ] a"
              "    h:f32[] = pjit["
              "      name=f"
              "      jaxpr={ lambda ; i:f32[] j:f32[] k:f32[] l:f32[]. let"
              "          m:f32[] = mul k l"
              "          n:f32[] = mul l j"
              "          o:f32[] = mul n i"
              "          p:f32[] = add_any m o"
              "        in (p,) }"
              "    ] b a c 1.0"
              "  in (h,) }" ]
    let f = Api.jit "f" sinTimes
    Assert.Equal(expected, print (Api.grad (scalarLoss f) [ 0 ]) [ weakScalar ])

[<Fact>]
let ``a residual that is the primal output is not output twice`` () =
    // jax.make_jaxpr(jax.grad(jax.jit(jnp.exp)))(1.): the jvp region is exp x and t * exp x, so
    // the only residual is the primal output itself; _pjit_partial_eval's output-to-output
    // forwarding prunes it from the known pjit, which outputs exp x once and feeds it to the
    // transposed pjit (ct * exp x, mul's transpose for the undefined t).
    let expected =
        lines
            [ "{ lambda ; a:f32[]. let"
              "    b:f32[] = pjit["
              "      name=exp"
              "      jaxpr={ lambda ; c:f32[]. let d:f32[] = exp c in (d,) }"
              "    ] a"
              "    e:f32[] = pjit["
              "      name=exp"
              "      jaxpr={ lambda ; f:f32[] g:f32[]. let h:f32[] = mul g f in (h,) }"
              "    ] b 1.0"
              "  in (e,) }" ]
    let f = Api.jit "exp" (fun xs -> [ N.exp xs[0] ])
    Assert.Equal(expected, print (Api.grad (scalarLoss f) [ 0 ]) [ weakScalar ])

[<Fact>]
let ``vmap of jit prints one pjit of the batched jaxpr`` () =
    // jax.make_jaxpr(jax.vmap(jax.jit(f)))(jnp.ones(3, jnp.float32)): _pjit_batcher binds pjit
    // of batch_jaxpr2(jaxpr, dims_in=(0,)) with name=name: sin and mul are elementwise, so the
    // region is f at f32[3] and its output stays batched along axis 0.
    let expected =
        lines
            [ "{ lambda ; a:f32[3]. let"
              "    b:f32[3] = pjit["
              "      name=f"
              "      jaxpr={ lambda ; c:f32[3]. let"
              "          d:f32[3] = sin c"
              "          e:f32[3] = mul d c"
              "        in (e,) }"
              "    ] a"
              "  in (b,) }" ]
    let f = Api.jit "f" sinTimes
    Assert.Equal(expected, print (Api.vmap f [ Some 0 ] [ Some 0 ]) [ f32 [ 3 ] ])

[<Fact>]
let ``vmap of jit batches the region at the operands' batch axes`` () =
    // jax.vmap(jax.jit(lambda x, y: x * y), in_axes=(1, None)) on f32[2,3], f32[2]: the region
    // gets x with its batch axis 1 (batch_jaxpr2 lets the callee choose where outputs are
    // batched); mul's broadcast_batcher moves it to the front (bdim_at_front: a transpose) and
    // gives the unbatched y a unit batch axis (broadcast_in_dim to (1, 2)); the output is
    // batched along 0, so the pjit returns f32[3,2].
    let expected =
        lines
            [ "{ lambda ; a:f32[2,3] b:f32[2]. let"
              "    c:f32[3,2] = pjit["
              "      name=g"
              "      jaxpr={ lambda ; d:f32[2,3] e:f32[2]. let"
              "          f:f32[3,2] = transpose[permutation=(1, 0)] d"
              "          g:f32[1,2] = broadcast_in_dim[broadcast_dimensions=(1,) shape=(1, 2)] e"
              "          h:f32[3,2] = mul f g"
              "        in (h,) }"
              "    ] a b"
              "  in (c,) }" ]
    let f = Api.jit "g" (fun xs -> [ N.multiply xs[0] xs[1] ])
    Assert.Equal(expected, print (Api.vmap f [ Some 1; None ] [ Some 0 ]) [ f32 [ 2; 3 ]; f32 [ 2 ] ])

[<Fact>]
let ``jit of grad prints one pjit of the gradient's jaxpr`` () =
    // jax.make_jaxpr(jax.jit(jax.grad(f)))(1.): the region is grad's jaxpr (as in the seed's
    // golden): sin, cos and the unused primal product, then the backward pass of
    // [t1 = t * cos x; t2 = t1 * x; t3 = sin x * t; add_any t2 t3] with ct 1.0.
    let expected =
        lines
            [ "{ lambda ; a:f32[]. let"
              "    b:f32[] = pjit["
              "      name=g"
              "      jaxpr={ lambda ; c:f32[]. let"
              "          d:f32[] = sin c"
              "          e:f32[] = cos c"
              "          _:f32[] = mul d c"
              "          f:f32[] = mul d 1.0"
              "          g:f32[] = mul 1.0 c"
              "          h:f32[] = mul g e"
              "          i:f32[] = add_any f h"
              "        in (i,) }"
              "    ] a"
              "  in (b,) }" ]
    Assert.Equal(expected, print (Api.jit "g" (Api.grad (scalarLoss sinTimes) [ 0 ])) [ weakScalar ])

// ---------------------------------------------------------------------------------------------
// Values: jitted and unjitted functions agree under every transformation.

let private vec (xs: float list) = Concrete(NdArray.ofFloat64 [| xs.Length |] (Array.ofList xs))
let private arrays (vs: Value list) = vs |> List.map (fun v -> NdArray.toFloats (concreteArray "test" v))

let private expectClose (what: string) (actual: Value list) (expected: Value list) =
    let a, e = arrays actual, arrays expected
    Assert.Equal(e.Length, a.Length)
    List.iteri2 (fun i (x: float[]) (y: float[]) ->
        Assert.Equal(y.Length, x.Length)
        Array.iteri2 (fun k u v ->
            if not (abs (u - v) <= 1e-12 * (1.0 + abs v)) then failwith $"{what}: array {i}, element {k}: {u} <> {v}") x y) a e

/// g(x, y) = sum(where(x > y, sin(x) * y, exp(x / y))): two arguments, a jnp.where (itself a
/// pjit) and a reduction.
let private g (xs: Value list) =
    let x, y = xs[0], xs[1]
    [ A.sum None false (N.where (N.greater x y) (N.multiply (N.sin x) y) (N.exp (N.divide x y))) ]

let private xy = [ vec [ 0.5; -1.0; 2.0 ]; vec [ 1.5; -2.0; 0.25 ] ]

[<Fact>]
let ``grad of jit equals grad`` () =
    expectClose "grad" (Api.grad (scalarLoss (Api.jit "g" g)) [ 0; 1 ] xy) (Api.grad (scalarLoss g) [ 0; 1 ] xy)

[<Fact>]
let ``jit of grad equals grad`` () =
    expectClose "jit(grad)" (Api.jit "gg" (Api.grad (scalarLoss g) [ 0; 1 ]) xy) (Api.grad (scalarLoss g) [ 0; 1 ] xy)

[<Fact>]
let ``vmap of jit equals vmap`` () =
    let batch = [ Concrete(NdArray.ofFloat64 [| 2; 3 |] [| 0.5; -1.0; 2.0; 1.0; 3.0; -0.5 |]); vec [ 1.5; -2.0; 0.25 ] ]
    expectClose "vmap" (Api.vmap (Api.jit "g" g) [ Some 0; None ] [ Some 0 ] batch) (Api.vmap g [ Some 0; None ] [ Some 0 ] batch)

[<Fact>]
let ``jvp of jit equals jvp`` () =
    let t = [ vec [ 1.0; 0.5; -1.0 ]; vec [ 0.0; 2.0; 1.0 ] ]
    let o1, t1 = Api.jvp (Api.jit "g" g) xy t
    let o2, t2 = Api.jvp g xy t
    expectClose "jvp" (o1 @ t1) (o2 @ t2)

[<Fact>]
let ``hessian of jit equals hessian`` () =
    let h1 = Api.hessian (scalarLoss (Api.jit "g" g)) [ 0; 1 ] xy |> List.concat
    let h2 = Api.hessian (scalarLoss g) [ 0; 1 ] xy |> List.concat
    expectClose "hessian" h1 h2

[<Fact>]
let ``jit nested in jit equals the plain function under grad and vmap`` () =
    let inner = Api.jit "inner" (fun xs -> [ N.multiply (N.sin xs[0]) xs[1]; N.exp xs[0] ])
    let outer = Api.jit "outer" (fun xs -> let p = inner xs in [ A.sum None false (N.add p[0] (N.multiply p[1] xs[1])) ])
    let plain (xs: Value list) = [ A.sum None false (N.add (N.multiply (N.sin xs[0]) xs[1]) (N.multiply (N.exp xs[0]) xs[1])) ]
    expectClose "value" (outer xy) (plain xy)
    expectClose "grad" (Api.grad (scalarLoss outer) [ 0; 1 ] xy) (Api.grad (scalarLoss plain) [ 0; 1 ] xy)
    expectClose "vmap of grad" (Api.vmap (Api.grad (scalarLoss outer) [ 0 ]) [ Some 0; Some 0 ] [ Some 0 ] xy) (Api.vmap (Api.grad (scalarLoss plain) [ 0 ]) [ Some 0; Some 0 ] [ Some 0 ] xy)
    Assert.Contains("name=inner", print (Api.grad (scalarLoss outer) [ 0 ]) [ f32 [ 3 ]; f32 [ 3 ] ])

[<Fact>]
let ``jit of where is a pjit inside a pjit, and its gradient the where's`` () =
    let w = Api.jit "w" (fun xs -> [ N.where (N.greater xs[0] xs[1]) xs[0] (N.multiply xs[1] xs[1]) ])
    let text = print w [ f32 [ 3 ]; f32 [ 3 ] ]
    Assert.Contains("name=w", text)
    Assert.Contains("name=_where", text)
    let loss (f: Value list -> Value list) (xs: Value list) = A.sum None false (f xs).Head
    let plain (xs: Value list) = [ N.where (N.greater xs[0] xs[1]) xs[0] (N.multiply xs[1] xs[1]) ]
    expectClose "grad" (Api.grad (loss w) [ 0; 1 ] xy) (Api.grad (loss plain) [ 0; 1 ] xy)

[<Fact>]
let ``a jitted function closing over a tracer takes it as an input`` () =
    // d/dy sum(jit(x -> x * y)(x)) with y traced by grad: y enters the region as a leading input
    let f (ys: Value list) = A.sum None false (Api.jit "closure" (fun xs -> [ N.multiply xs[0] ys[0] ]) [ xy[0] ]).Head
    let plain (ys: Value list) = A.sum None false (N.multiply xy[0] ys[0])
    expectClose "grad" (Api.grad f [ 0 ] [ xy[1] ]) (Api.grad plain [ 0 ] [ xy[1] ])

// ---------------------------------------------------------------------------------------------
// The trace cache and the eager executor.

[<Fact>]
let ``a jitted function traces once per signature`` () =
    let jitted = Api.Jitted("count", sinTimes)
    let call (aval: Aval) = jitted.Call [ Concrete(NdArray.full aval.DType aval.Shape 1.0 |> fun a -> { a with Aval = aval }) ] |> ignore
    call (f32 [ 3 ])
    call (f32 [ 3 ])
    Assert.Equal(1, jitted.TraceCount)
    call (f32 [ 4 ])
    Assert.Equal(2, jitted.TraceCount)
    call weakScalar
    call (f32 [])
    Assert.Equal(4, jitted.TraceCount) // weak and strong scalars are different signatures
    call (f32 [ 4 ])
    print (fun xs -> jitted.Call xs) [ f32 [ 3 ] ] |> ignore // a cached region is reused under a trace too
    Assert.Equal(4, jitted.TraceCount)
    for n in 1 .. Api.JitCacheCapacity + 1 do call (f32 [ n; 2 ])
    Assert.True(jitted.TraceCount = 4 + Api.JitCacheCapacity + 1)

[<Fact>]
let ``eager calls run the compiled executable, traced calls bind pjit`` () =
    let f = Api.Jitted("f", sinTimes)
    expectClose "eager" (f.Call [ vec [ 1.0; 2.0 ] ]) (sinTimes [ vec [ 1.0; 2.0 ] ])
    let compiled = f.Compile [ Aval.make F64 [| 2 |] ]
    Assert.Same(compiled, f.Compile [ Aval.make F64 [| 2 |] ])
    Assert.Contains("loop.func", Jit.text compiled)
    let jaxpr = Api.makeJaxpr (fun xs -> [ A.sum None false (f.Call xs).Head ]) [ vec [ 1.0; 2.0 ] ]
    Assert.Contains("pjit", Dialects.LaxText.print jaxpr.Jaxpr)

// ---------------------------------------------------------------------------------------------
// Concretization.

[<Fact>]
let ``reading a traced value under jit raises a concretization error naming what to do`` () =
    let branchy (xs: Value list) =
        let x = concreteArray "ToScalar" xs[0]
        [ if NdArray.item 0 x > 0.0 then xs[0] else N.negative xs[0] ]
    let e = Assert.Throws<ConcretizationException>(fun () -> Api.jit "branchy" branchy [ vec [ 1.0 ] ] |> ignore)
    Assert.Equal("ToScalar", e.Primitive)
    Assert.Equal("f64[1]", Aval.str e.Aval)
    Assert.Contains("jit", e.Transformation)
    Assert.Contains("Abstract tracer value encountered where concrete value is expected", e.Message)
    Assert.Contains("Jnp.Where", e.Message)
    Assert.IsAssignableFrom<CotangentException>(e) |> ignore

// ---------------------------------------------------------------------------------------------
// Random programs wrapped in jit at random points.

/// Which consecutive nodes of a program run inside a jit, nested up to three deep.
type private Segment =
    | Step of node: int
    | Region of Segment list

let rec private plan (rng: Random) (depth: int) (lo: int) (hi: int) : Segment list =
    if lo >= hi then []
    elif depth < 3 && rng.NextDouble() < 0.35 then
        let len = rng.Next(1, hi - lo + 1)
        Region(plan rng (depth + 1) lo (lo + len)) :: plan rng depth (lo + len) hi
    else Step lo :: plan rng depth (lo + 1) hi

/// The program's values (inputs first) with each Region evaluated by a jitted function of all
/// the values before it, returning the values it adds.
let rec private evalPlan (p: Program) (segments: Segment list) (env: Value list) : Value list =
    segments |> List.fold (fun (env: Value list) segment ->
        match segment with
        | Step k -> env @ [ Program.evalAll { p with Nodes = [ p.Nodes[k] ] } env |> List.last ]
        | Region inner -> env @ Api.jit $"region{env.Length}" (fun ins -> evalPlan p inner ins |> List.skip ins.Length) env) env

/// A vmap case (a program, data, batch axes) and the seed of where it is cut into jits.
[<StructuredFormatDisplay("{Display}")>]
type JitCase =
    { Case: VmapCase
      Seed: int }

    member this.Display = $"{this.Case.Display}\njit plan seed {this.Seed}"
    override this.ToString() = this.Display

type JitCases =
    static member Jit() =
        let cases = gen {
            let! c = vmapCaseArb.Generator
            let! seed = Gen.choose (0, Int32.MaxValue - 1)
            return { Case = c; Seed = seed } }
        Arb.fromGenShrink (cases, fun c -> vmapCaseArb.Shrinker c.Case |> Seq.map (fun v -> { c with Case = v }))

[<Property(MaxTest = 300, Arbitrary = [| typeof<JitCases> |])>]
let ``random programs cut into jits compute what they compute unjitted, under every transformation`` (c: JitCase) =
    let s, p = c.Case.Sample, c.Case.Sample.Program
    let segments = plan (Random c.Seed) 0 0 p.Nodes.Length
    let jitted (xs: Value list) = let env = evalPlan p segments xs in p.Outputs |> List.map (fun o -> env[o])
    let plain = Program.toFunction p
    let shapes = p.Inputs |> List.map (fun i -> i.Shape)
    let x = s.Inputs |> List.map Concrete
    // eager jit runs compiled kernels, whose exp/log/sin round differently from the interpreter's
    // (within their ulp bounds): a where/max/rem within rounding of switching may switch, so such
    // programs are discarded, as in the vmap-against-a-loop property
    let axes0 = List.map2 (fun (a: int option) (spec: Spec) -> a |> Option.map (fun k -> if k < 0 then spec.Shape.Length else k)) c.Case.Axes p.Inputs
    let examples =
        s.Inputs :: List.init c.Case.Batch (fun b ->
            axes0 |> List.mapi (fun i a -> match a with Some k -> VmapTests.take k b (s.BatchedInput i c.Case.Batch k) | None -> s.Inputs[i]))
    let nearKink = examples |> List.exists (fun xs -> Program.nearJump 1e-9 p (Program.evalAll p (List.map Concrete xs) |> List.map (function Concrete a -> a | Traced _ -> failwith "traced")))
    not nearKink ==> lazy (
    expectClose "value" (jitted x) (plain x)
    let t = s.Normals 3 shapes |> List.map2 (fun shape v -> Concrete(NdArray.ofFloat64 shape v)) shapes
    let o1, t1 = Api.jvp jitted x t
    let o2, t2 = Api.jvp plain x t
    expectClose "jvp" (o1 @ t1) (o2 @ t2)
    let outs, pull1 = Api.vjp jitted x
    let _, pull2 = Api.vjp plain x
    let outShapes = outs |> List.map (fun o -> (Value.aval o).Shape)
    let u = s.Normals 9 outShapes |> List.map2 (fun shape v -> Concrete(NdArray.ofFloat64 shape v)) outShapes
    expectClose "vjp" (pull1 u) (pull2 u)
    let axes = List.map2 (fun (a: int option) (spec: Spec) -> a |> Option.map (fun k -> if k < 0 then spec.Shape.Length else k)) c.Case.Axes p.Inputs
    let batched = axes |> List.mapi (fun i a -> Concrete(match a with Some k -> s.BatchedInput i c.Case.Batch k | None -> s.Inputs[i]))
    expectClose "vmap" (Api.vmap jitted c.Case.Axes c.Case.OutAxes batched) (Api.vmap plain c.Case.Axes c.Case.OutAxes batched))
