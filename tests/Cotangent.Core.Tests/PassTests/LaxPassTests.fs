/// The lax-level passes (inline, dce, cse, simplify) on small programs: the printed jaxpr after
/// each, its statistics, and the verifier; one test per rewrite, and the rewrites that must not
/// fire (x + 0.0, a mul by 1.0 that would change the aval).
module Cotangent.Core.Tests.LaxPassTests

open Xunit
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Backend
open Cotangent.Core.Tracing
open Cotangent.Core.Passes
open Cotangent.Core.Passes.PassTypes
module N = Cotangent.Core.Numpy

let f32 (shape: int list) = Aval.make F32 (Array.ofList shape)
let scalar = Aval.scalar F32
let weakScalar = { Aval.scalar F32 with Weak = true }
let lit (v: float) = Lit(NdArray.scalar F32 false v)
let weakLit (v: float) = Lit(NdArray.scalar F32 true v)
/// A printed jaxpr on one line (the layout JAX picks when it fits in 80 columns), so that tests
/// state programs of any length alike.
let flat (s: string) = s.Replace("let\n    ", "let ").Replace("\n    ", "; ").Replace("\n  in ", " in ")
let lines (xs: string list) = flat (System.String.Join("\n", xs))

/// A closed jaxpr built by `body app consts invars`, where `app prim inputs` binds one equation
/// (outputs from the type rule) and returns its first output.
let build (avals: Aval list) (consts: NdArray list) (body: (Prim -> Atom list -> Atom) -> Atom list -> Atom list -> Atom list) =
    let eqns = ResizeArray<Eqn<Prim>>()
    let app prim (inputs: Atom list) =
        let outs = LaxTypes.abstractEval prim (List.map Atom.aval inputs) |> List.map Var.fresh
        eqns.Add { Op = prim; Inputs = inputs; Outs = outs; Source = None }
        match outs with
        | o :: _ -> Var o
        | [] -> Lit(NdArray.scalar Bool false 0.0)
    let constVars = consts |> List.map (fun c -> Var.fresh c.Aval)
    let invars = avals |> List.map Var.fresh
    let outs = body app (constVars |> List.map Var) (invars |> List.map Var)
    { Jaxpr = { ConstVars = constVars; InVars = invars; Eqns = List.ofSeq eqns; OutVars = outs }; Consts = consts }

/// make_jaxpr of `f` at `avals`, with its consts.
let trace (f: Value list -> Value list) (avals: Aval list) : ClosedJaxpr<Prim> =
    Api.makeJaxpr f (avals |> List.map (fun a -> Concrete(NdArray.full a.DType a.Shape 0.5 |> NdArray.withWeak a.Weak)))

let raw (closed: ClosedJaxpr<Prim>) = LaxText.print closed.Jaxpr
let text (closed: ClosedJaxpr<Prim>) = flat (raw closed)

/// Runs `pass`, checks the verifier and that the input still verifies (untouched), returns both.
let run (pass: ClosedJaxpr<Prim> -> ClosedJaxpr<Prim> * Stats) (closed: ClosedJaxpr<Prim>) =
    let before = text closed
    let after, stats = pass closed
    Assert.Empty(LaxVerify.verify after.Jaxpr)
    Assert.Equal(after.Jaxpr.ConstVars.Length, after.Consts.Length)
    Assert.Equal(before, text closed)
    after, stats

let value (name: string) (stats: Stats) = (stats |> List.find (fun s -> s.Name = name)).Value
let count (op: string) (s: string) = s.Split('\n') |> Array.sumBy (fun l -> l.Split(' ') |> Array.filter ((=) op) |> Array.length)

let eval (closed: ClosedJaxpr<Prim>) (args: NdArray list) = Interpreter.evalJaxpr closed.Jaxpr closed.Consts args

let seed (args: Value list) =
    let x1, x2 = args[0], args[1]
    let l = N.subtract (N.divide x1 x2) (N.exp x2)
    let r = N.subtract (N.add (N.sin (N.divide x1 x2)) (N.divide x1 x2)) (N.exp x2)
    [ N.multiply l r ]

// ---------------------------------------------------------------------------------------------
// inline

[<Fact>]
let ``inline replaces nested pjits by their regions and moves their consts out`` () =
    let c = NdArray.ofFloat32 [| 3 |] [| 1.0f; 2.0f; 3.0f |]
    let inner (xs: Value list) = [ N.multiply xs[0] (Concrete c) ]
    let outer (xs: Value list) = N.pjitCall "inner" inner [ N.sin xs[0] ]
    let closed = trace (fun xs -> N.pjitCall "outer" outer xs) [ f32 [ 3 ] ]
    let after, stats = run Inline.inlineCalls closed
    Assert.Equal(2, value "num-inlined" stats)
    Assert.Equal("{ lambda a:f32[3]; b:f32[3]. let c:f32[3] = sin b; d:f32[3] = mul c a in (d,) }", text after)
    Assert.Same(c, after.Consts.Head)

[<Fact>]
let ``inline gives each inlined copy fresh vars and dedupes a shared const`` () =
    let c = NdArray.ofFloat32 [| 2 |] [| 1.0f; 2.0f |]
    let region = build [ f32 [ 2 ] ] [ c ] (fun app cs xs -> [ app Add [ xs[0]; cs[0] ] ])
    let closed = build [ f32 [ 2 ] ] [] (fun app _ xs ->
        let y = app (Pjit("f", region)) [ xs[0] ]
        [ app (Pjit("f", region)) [ y ] ])
    let after, stats = run Inline.inlineCalls closed
    Assert.Equal(2, value "num-inlined" stats)
    Assert.Equal(1, after.Consts.Length)
    Assert.Equal("{ lambda a:f32[2]; b:f32[2]. let c:f32[2] = add b a; d:f32[2] = add c a in (d,) }", text after)

[<Fact>]
let ``inline converts an argument whose weak type differs from the region's invar`` () =
    let region = build [ scalar ] [] (fun app _ xs -> [ app Sin [ xs[0] ] ])
    let closed = build [ weakScalar ] [] (fun app _ xs -> [ app (Pjit("f", region)) [ xs[0] ]; app (Pjit("f", region)) [ weakLit 2.0 ] ])
    let after, _ = run Inline.inlineCalls closed
    Assert.Equal(
        lines [ "{ lambda ; a:f32[]. let"
                "    b:f32[] = convert_element_type[new_dtype=float32 weak_type=False] a"
                "    c:f32[] = sin b"
                "    d:f32[] = sin 2.0"
                "  in (c, d) }" ],
        text after)
    let x = NdArray.scalar F32 true 0.25
    Assert.Equal<NdArray list>(eval closed [ x ], eval after [ x ])

[<Fact>]
let ``inline of jnp.where leaves its select_n in the outer program`` () =
    let closed = trace (fun xs -> [ N.where (N.greater xs[0] xs[1]) xs[0] xs[1] ]) [ f32 [ 3 ]; f32 [ 3 ] ]
    Assert.Contains("pjit", text closed)
    let after, _ = run Inline.inlineCalls closed
    Assert.Equal("{ lambda ; a:f32[3] b:f32[3]. let c:bool[3] = gt a b; d:f32[3] = select_n c b a in (d,) }", text after)

// ---------------------------------------------------------------------------------------------
// dce

[<Fact>]
let ``dce erases unused equations and constvars and keeps unused invars`` () =
    let c = NdArray.ofFloat32 [| 2 |] [| 1.0f; 2.0f |]
    let closed = build [ f32 [ 2 ]; f32 [ 2 ] ] [ c ] (fun app cs xs ->
        let dead = app Cos [ xs[0] ]
        app Mul [ dead; cs[0] ] |> ignore
        [ app Sin [ xs[0] ] ])
    let after, stats = run Dce.dce closed
    Assert.Equal(2, value "num-erased" stats)
    Assert.Empty(after.Consts)
    Assert.Equal("{ lambda ; a:f32[2] b:f32[2]. let c:f32[2] = sin a in (c,) }", text after)

// ---------------------------------------------------------------------------------------------
// cse

[<Fact>]
let ``cse leaves the seed with one div and one exp`` () =
    let closed = trace seed [ weakScalar; weakScalar ]
    Assert.Equal(3, count "div" (raw closed))
    let after, stats = run Cse.cse closed
    Assert.Equal(3, value "num-cse'd" stats)
    Assert.Equal(1, count "div" (raw after))
    Assert.Equal(1, count "exp" (raw after))
    Assert.Equal(
        lines [ "{ lambda ; a:f32[] b:f32[]. let"
                "    c:f32[] = div a b"
                "    d:f32[] = exp b"
                "    e:f32[] = sub c d"
                "    f:f32[] = sin c"
                "    g:f32[] = add f c"
                "    h:f32[] = sub g d"
                "    i:f32[] = mul e h"
                "  in (i,) }" ],
        text after)
    let args = [ NdArray.scalar F32 true 0.7; NdArray.scalar F32 true 1.3 ]
    Assert.Equal<NdArray list>(eval closed args, eval after args)

[<Fact>]
let ``cse tells literals apart by bits, dtype and weak type`` () =
    let closed = build [ scalar ] [] (fun app _ xs ->
        [ app Add [ xs[0]; lit 0.0 ]; app Add [ xs[0]; lit -0.0 ]; app Add [ xs[0]; lit 0.0 ]
          app Mul [ weakLit 2.0; weakLit 3.0 ]; app Mul [ lit 2.0; lit 3.0 ] ])
    let after, stats = run Cse.cse closed
    Assert.Equal(1, value "num-cse'd" stats)
    Assert.Equal(4, after.Jaxpr.Eqns.Length)

[<Fact>]
let ``cse merges equal regions, iotas and the eqns that then agree`` () =
    let closed =
        trace (fun xs ->
            let w1 = N.where (N.greater xs[0] xs[1]) xs[0] xs[1]
            let w2 = N.where (N.greater xs[0] xs[1]) xs[0] xs[1]
            let i1, i2 = LaxOps.iota F32 [ 3 ] 0, LaxOps.iota F32 [ 3 ] 0
            [ N.add (N.sin w1) i1; N.add (N.sin w2) i2 ]) [ f32 [ 3 ]; f32 [ 3 ] ]
    let after, stats = run Cse.cse closed
    Assert.Equal(5, value "num-cse'd" stats)
    Assert.Equal(1, count "pjit[" (raw after))
    let again, stats2 = run Cse.cse after
    Assert.Equal(0, value "num-cse'd" stats2)
    Assert.Equal(text after, text again)

// ---------------------------------------------------------------------------------------------
// simplify: folding

[<Fact>]
let ``simplify folds literal arithmetic into a literal and a const computation into a const`` () =
    let c = NdArray.ofFloat32 [| 2 |] [| 1.0f; 2.0f |]
    let closed = build [ f32 [ 2 ] ] [ c ] (fun app cs xs ->
        let s = app Sin [ weakLit 2.0 ]
        let e = app Exp [ cs[0] ]
        [ app Mul [ app Add [ xs[0]; e ]; s ] ])
    let after, stats = run Simplify.simplify closed
    Assert.Equal(2, value "num-folded" stats)
    Assert.Equal("{ lambda a:f32[2]; b:f32[2]. let c:f32[2] = add b a; d:f32[2] = mul c 0.9092974066734314 in (d,) }", text after)
    Assert.Equal<float[]>([| exp 1.0 |> float32 |> float; exp 2.0 |> float32 |> float |], NdArray.toFloats after.Consts.Head)

[<Fact>]
let ``simplify keeps a broadcast of a literal and an iota instead of folding them to big consts`` () =
    let closed = build [ f32 [ 4 ] ] [] (fun app _ xs ->
        [ app Add [ xs[0]; app (BroadcastInDim([ 4 ], [])) [ lit 2.0 ] ]; app (Iota(F32, [ 4 ], 0)) [] ])
    let after, stats = run Simplify.simplify closed
    Assert.Equal(0, value "num-folded" stats)
    Assert.Empty(after.Consts)
    Assert.Equal(text closed, text after)

// ---------------------------------------------------------------------------------------------
// simplify: identities, one per law

/// simplify of a one-input program, printed, with the number of rewrites.
let simplified (aval: Aval) (body: (Prim -> Atom list -> Atom) -> Atom -> Atom) =
    let closed = build [ aval ] [] (fun app _ xs -> [ body app xs[0] ])
    let after, stats = run Simplify.simplify closed
    text after, value "num-simplified" stats

let identity (aval: Aval) = $"{{ lambda ; a:{Aval.str aval}. let  in (a,) }}"

[<Fact>]
let ``x * 1 = 1 * x = x / 1 = x`` () =
    Assert.Equal((identity scalar, 1), simplified scalar (fun app x -> app Mul [ x; lit 1.0 ]))
    Assert.Equal((identity scalar, 1), simplified scalar (fun app x -> app Mul [ lit 1.0; x ]))
    Assert.Equal((identity scalar, 1), simplified scalar (fun app x -> app Div [ x; lit 1.0 ]))

[<Fact>]
let ``x + -0.0 = -0.0 + x = x - 0.0 = x, also for add_any`` () =
    Assert.Equal((identity scalar, 1), simplified scalar (fun app x -> app Add [ x; lit -0.0 ]))
    Assert.Equal((identity scalar, 1), simplified scalar (fun app x -> app Add [ lit -0.0; x ]))
    Assert.Equal((identity scalar, 1), simplified scalar (fun app x -> app AddAny [ x; lit -0.0 ]))
    Assert.Equal((identity scalar, 1), simplified scalar (fun app x -> app Sub [ x; lit 0.0 ]))

[<Fact>]
let ``x + 0.0 and x - -0.0 are not simplified: they turn -0.0 into 0.0`` () =
    let expect op = $"{{ lambda ; a:f32[]. let b:f32[] = {op} in (b,) }}", 0
    Assert.Equal(expect "add a 0.0", simplified scalar (fun app x -> app Add [ x; lit 0.0 ]))
    Assert.Equal(expect "add 0.0 a", simplified scalar (fun app x -> app Add [ lit 0.0; x ]))
    Assert.Equal(expect "sub a -0.0", simplified scalar (fun app x -> app Sub [ x; lit -0.0 ]))
    let closed = build [ scalar ] [] (fun app _ xs -> [ app Add [ xs[0]; lit 0.0 ] ])
    Assert.Equal(0.0, NdArray.item 0 (eval closed [ NdArray.scalar F32 false -0.0 ]).Head)

[<Fact>]
let ``a mul by 1.0 that would change the shape or weak type is not simplified`` () =
    // a weak x times a strong 1.0 is strong: x alone would be weak
    Assert.Equal(("{ lambda ; a:f32[]. let b:f32[] = mul a 1.0 in (b,) }", 0), simplified weakScalar (fun app x -> app Mul [ x; lit 1.0 ]))
    // a scalar x times ones(3) is f32[3]: the product of splats is the splat of x * 1.0 = x
    let closed = build [ scalar ] [] (fun app _ xs -> [ app Mul [ xs[0]; app (BroadcastInDim([ 3 ], [])) [ lit 1.0 ] ] ])
    let after, _ = run Simplify.simplify closed
    Assert.Equal("{ lambda ; a:f32[]. let b:f32[3] = broadcast_in_dim[broadcast_dimensions=() shape=(3,)] a in (b,) }", text after)

[<Fact>]
let ``x * ones = x for a known const or a broadcast of 1.0 of x's shape`` () =
    let ones = NdArray.ofFloat32 [| 3 |] [| 1.0f; 1.0f; 1.0f |]
    let closed = build [ f32 [ 3 ] ] [ ones ] (fun app cs xs -> [ app Mul [ cs[0]; xs[0] ]; app Mul [ xs[0]; app (BroadcastInDim([ 3 ], [])) [ lit 1.0 ] ] ])
    let after, stats = run Simplify.simplify closed
    Assert.Equal(2, value "num-simplified" stats)
    Assert.Equal("{ lambda ; a:f32[3]. let  in (a, a) }", text after)
    Assert.Empty(after.Consts)

[<Fact>]
let ``neg (neg x) = x`` () =
    Assert.Equal((identity scalar, 1), simplified scalar (fun app x -> app Neg [ app Neg [ x ] ]))

[<Fact>]
let ``convert_element_type to x's own dtype and weak type = x`` () =
    Assert.Equal((identity scalar, 1), simplified scalar (fun app x -> app (ConvertElementType(F32, false)) [ x ]))
    Assert.Equal(("{ lambda ; a:f32[]. let b:f32[] = convert_element_type[new_dtype=float32 weak_type=True] a in (b,) }", 0),
                 simplified scalar (fun app x -> app (ConvertElementType(F32, true)) [ x ]))

[<Fact>]
let ``reshape, broadcast_in_dim, squeeze, expand_dims and transpose that keep x as it is = x`` () =
    let a = f32 [ 2; 3 ]
    Assert.Equal((identity a, 1), simplified a (fun app x -> app (Reshape [ 2; 3 ]) [ x ]))
    Assert.Equal((identity a, 1), simplified a (fun app x -> app (BroadcastInDim([ 2; 3 ], [ 0; 1 ])) [ x ]))
    Assert.Equal((identity a, 1), simplified a (fun app x -> app (Transpose [ 0; 1 ]) [ x ]))
    Assert.Equal((identity a, 1), simplified a (fun app x -> app (Squeeze []) [ x ]))
    Assert.Equal((identity a, 1), simplified a (fun app x -> app (ExpandDims []) [ x ]))
    // a transpose of a square matrix keeps the aval but moves elements
    let sq = f32 [ 2; 2 ]
    Assert.Equal(("{ lambda ; a:f32[2,2]. let b:f32[2,2] = transpose[permutation=(1, 0)] a in (b,) }", 0),
                 simplified sq (fun app x -> app (Transpose [ 1; 0 ]) [ x ]))

[<Fact>]
let ``reshape (reshape x) = reshape x`` () =
    Assert.Equal(("{ lambda ; a:f32[2,3]. let b:f32[3,2] = reshape[dimensions=None new_sizes=(3, 2)] a in (b,) }", 1),
                 simplified (f32 [ 2; 3 ]) (fun app x -> app (Reshape [ 3; 2 ]) [ app (Reshape [ 6 ]) [ x ] ]))
    // and back to x's own shape: x
    Assert.Equal((identity (f32 [ 2; 3 ]), 2), simplified (f32 [ 2; 3 ]) (fun app x -> app (Reshape [ 2; 3 ]) [ app (Reshape [ 6 ]) [ x ] ]))

[<Fact>]
let ``broadcast_in_dim (broadcast_in_dim x) = one broadcast_in_dim`` () =
    Assert.Equal(("{ lambda ; a:f32[3]. let b:f32[2,4,3] = broadcast_in_dim[broadcast_dimensions=(2,) shape=(2, 4, 3)] a in (b,) }", 1),
                 simplified (f32 [ 3 ]) (fun app x -> app (BroadcastInDim([ 2; 4; 3 ], [ 1; 2 ])) [ app (BroadcastInDim([ 4; 3 ], [ 1 ])) [ x ] ]))

[<Fact>]
let ``a layout op of a scalar literal is the literal, or a broadcast_in_dim of it`` () =
    let closed = build [ scalar ] [] (fun app _ xs ->
        [ app (Reshape [ 1; 1 ]) [ lit 2.0 ]
          app (ExpandDims [ 0 ]) [ lit 2.0 ]
          app (Squeeze [ 0 ]) [ app (BroadcastInDim([ 1 ], [])) [ lit 2.0 ] ]
          app (Reshape [ 3; 2 ]) [ app (BroadcastInDim([ 6 ], [])) [ weakLit 2.0 ] ] ])
    let after, stats = run Simplify.simplify closed
    Assert.Equal(4, value "num-simplified" stats)
    Assert.Equal(
        lines [ "{ lambda ; a:f32[]. let"
                "    b:f32[1,1] = broadcast_in_dim[broadcast_dimensions=() shape=(1, 1)] 2.0"
                "    c:f32[1] = broadcast_in_dim[broadcast_dimensions=() shape=(1,)] 2.0"
                "    d:f32[3,2] = broadcast_in_dim[broadcast_dimensions=() shape=(3, 2)] 2.0"
                "  in (b, c, 2.0, d) }" ],
        text after)

[<Fact>]
let ``select_n with a literal predicate = the chosen case`` () =
    let closed = build [ scalar; scalar ] [] (fun app _ xs ->
        [ app SelectN [ Lit(NdArray.scalar Bool false 1.0); xs[0]; xs[1] ]
          app SelectN [ Lit(NdArray.scalar I32 false 0.0); xs[0]; xs[1] ] ])
    let after, stats = run Simplify.simplify closed
    Assert.Equal(2, value "num-simplified" stats)
    Assert.Equal("{ lambda ; a:f32[] b:f32[]. let  in (b, a) }", text after)

[<Fact>]
let ``simplify removes the mul by the seeded cotangent 1.0 that grad leaves`` () =
    let closed = trace (fun xs -> Api.grad (fun ys -> (seed ys).Head) [ 0 ] xs) [ weakScalar; weakScalar ]
    Assert.Contains("mul e 1.0", raw closed)
    let after, stats = run Simplify.simplify closed
    Assert.Equal(2, value "num-simplified" stats)
    Assert.DoesNotContain(" 1.0", raw after)
    let args = [ NdArray.scalar F32 true 0.7; NdArray.scalar F32 true 1.3 ]
    Assert.Equal<NdArray list>(eval closed args, eval after args)

[<Fact>]
let ``the pipeline inline,dce,cse,simplify on the seed's grad`` () =
    let closed = trace (fun xs -> Api.grad (fun ys -> (seed ys).Head) [ 0 ] xs) [ weakScalar; weakScalar ]
    let after = [ Inline.inlineCalls; Dce.dce; Cse.cse; Simplify.simplify ] |> List.fold (fun c pass -> fst (run pass c)) closed
    Assert.Equal(
        lines [ "{ lambda ; a:f32[] b:f32[]. let"
                "    c:f32[] = div a b"
                "    d:f32[] = exp b"
                "    e:f32[] = sub c d"
                "    f:f32[] = sin c"
                "    g:f32[] = cos c"
                "    h:f32[] = add f c"
                "    i:f32[] = sub h d"
                "    j:f32[] = div e b"
                "    k:f32[] = mul e g"
                "    l:f32[] = div k b"
                "    m:f32[] = add_any j l"
                "    n:f32[] = div i b"
                "    o:f32[] = add_any m n"
                "  in (o,) }" ],
        text after)

// add_any(pad(x, 0.0), pad(y, 0.0)) over adjacent blocks → pad(add_any(concatenate(x, y), 0.0), 0.0)
[<Fact>]
let ``simplify folds a chain of adjacent zero pads into one concatenate, exactly`` () =
    let zero = lit 0.0
    let closed =
        build [ f32 [ 1 ]; f32 [ 1 ]; f32 [ 2 ] ] [] (fun app _ ins ->
            let a = app (Pad [ (3, 0, 0) ]) [ ins[0]; zero ]
            let b = app (Pad [ (2, 1, 0) ]) [ ins[1]; zero ]
            let c = app (Pad [ (0, 2, 0) ]) [ ins[2]; zero ]
            [ app AddAny [ app AddAny [ a; b ]; c ] ])
    let after, stats = run Simplify.simplify closed
    Assert.True(1 = count "concatenate[dimension=0]" (raw after), raw after)
    Assert.Equal(3, (raw closed).Split("pad[").Length - 1)
    // the blocks cover the whole result: the merged pad pads nothing and goes too
    Assert.Equal(0, (raw after).Split("pad[").Length - 1)
    Assert.True(value "num-simplified" stats >= 2)
    // bit for bit, -0.0 included: every element gets exactly the one +0.0 the other pads add
    let args = [ NdArray.ofFloat32 [| 1 |] [| -0.0f |]; NdArray.ofFloat32 [| 1 |] [| 2.5f |]; NdArray.ofFloat32 [| 2 |] [| -0.0f; 1.0f |] ]
    let bits (a: NdArray) = NdArray.toFloats a |> Array.map System.BitConverter.DoubleToInt64Bits
    Assert.Equal<int64[]>(bits (eval closed args).Head, bits (eval after args).Head)

[<Fact>]
let ``a weight gradient's transpose folds into its product, bit for bit, interpreted and compiled`` () =
    // dW = transpose(dot_general(g, x) contracting the batch): reverse mode's weight gradient;
    // a contraction of 300 spans two of the GEMM's 256-deep blocks, 70 x 45 full and edge tiles
    let dims = { LhsContract = [ 0 ]; RhsContract = [ 0 ]; LhsBatch = []; RhsBatch = [] }
    let closed =
        build [ f32 [ 300; 70 ]; f32 [ 300; 45 ] ] [] (fun app _ ins ->
            [ app (Transpose [ 1; 0 ]) [ app (DotGeneral(dims, Some F32)) ins ] ])
    let after, _ = run Simplify.simplify closed
    Assert.Equal(0, count "transpose[permutation=(1," (raw after))
    Assert.Contains("] b a", raw after)
    let rng = System.Random 11
    let random (shape: int list) = NdArray.ofFloat32 (Array.ofList shape) (Array.init (List.fold (*) 1 shape) (fun _ -> float32 (rng.NextDouble() * 2.0 - 1.0)))
    let args = [ random [ 300; 70 ]; random [ 300; 45 ] ]
    let bits (a: NdArray) = NdArray.toFloats a |> Array.map System.BitConverter.DoubleToInt64Bits
    Assert.Equal<int64[]>(bits (eval closed args).Head, bits (eval after args).Head)
    // the GEMM sums each element's products in the same order either way round
    let jitted (c: ClosedJaxpr<Prim>) = (Jit.compileWith (PassManager.parseFlags "--disable-pass=simplify" PassManager.Options.empty) ignore c).Run args |> List.head
    Assert.Equal<int64[]>(bits (jitted closed), bits (jitted after))

[<Fact>]
let ``pads that overlap, leave a gap or pad with another value are not folded`` () =
    // the first pad puts its element at 2: overlapping at 2, a gap at 1, adjacent but padding 1.0
    for config2, value in [ [ (2, 0, 0) ], 0.0; [ (0, 2, 0) ], 0.0; [ (1, 1, 0) ], 1.0 ] do
        let closed =
            build [ f32 [ 1 ]; f32 [ 1 ] ] [] (fun app _ ins ->
                [ app AddAny [ app (Pad [ (2, 0, 0) ]) [ ins[0]; lit 0.0 ]; app (Pad config2) [ ins[1]; lit value ] ] ])
        let after, _ = run Simplify.simplify closed
        Assert.Equal(0, count "concatenate[dimension=0]" (raw after))
