/// vmap is the loop it replaces: for random shapes, batch sizes, in_axes (0, 1, last, None) and
/// out_axes, `vmap f xs` equals `f` applied to each example and stacked along the out axis, for
/// every lax primitive; the batched program also stages to a jaxpr that verifies. Slicing and
/// stacking here are plain array code, so the reference depends only on evaluating `f`.
module Cotangent.Core.Tests.VmapTests

open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Tracing
module L = Cotangent.Core.LaxOps

// ---------------------------------------------------------------------------------------------
// Reference: example i of an array along an axis, and arrays stacked along a new axis.

let private unravel (shape: int[]) (flat: int) =
    let strides = Shape.strides shape
    Array.init shape.Length (fun k -> (flat / strides[k]) % shape[k])

let private ravel (shape: int[]) (index: int[]) = Array.fold2 (fun acc i s -> acc + i * s) 0 index (Shape.strides shape)

let private build (like: NdArray) (shape: int[]) (item: int[] -> float) =
    let xs = Array.init (Shape.size shape) (unravel shape >> item)
    NdArray.create like.Aval.Weak shape (NdArray.bufferOfFloats like.Aval.DType xs)

/// a[..., i, ...] with `i` at `axis`.
let take (axis: int) (i: int) (a: NdArray) =
    build a (Array.removeAt axis a.Aval.Shape) (fun idx -> NdArray.item (ravel a.Aval.Shape (Array.insertAt axis i idx)) a)

/// numpy's stack: the arrays (of one shape) along a new axis `axis`.
let stack (axis: int) (arrays: NdArray list) =
    let first = arrays.Head
    let shape = first.Aval.Shape
    build first (Array.insertAt axis arrays.Length shape) (fun idx ->
        NdArray.item (ravel shape (Array.removeAt axis idx)) arrays[idx[axis]])

let private norm (axis: int) (rank: int) = if axis < 0 then axis + rank else axis

let concreteOf (v: Value) =
    match v with
    | Concrete a -> a
    | Traced t -> failwith $"expected a concrete array, got a tracer {Aval.str t.Aval}"

/// Same aval and elements (NaN equal to NaN; floats to a relative 1e-5, as batched
/// contractions may sum in another order).
let assertSame (what: string) (expected: NdArray) (actual: NdArray) =
    let show (a: Aval) = Aval.str a + (if a.Weak then "(weak)" else "")
    if expected.Aval <> actual.Aval then failwith $"{what}: expected {show expected.Aval}, got {show actual.Aval}"
    let close (x: float) (y: float) =
        x = y || (System.Double.IsNaN x && System.Double.IsNaN y) || abs (x - y) <= 1e-5 * max 1.0 (max (abs x) (abs y))
    Array.iteri2 (fun i x y -> if not (close x y) then failwith $"{what}: element {i} of {show actual.Aval} is {y}, expected {x}")
        (NdArray.toFloats expected) (NdArray.toFloats actual)

// ---------------------------------------------------------------------------------------------
// Cases: a function, its batched arguments and the axes; the generator picks sizes, axes, data.

/// An unbatched argument: dtype, shape and the element values to draw from.
type Arg = { DType: DType; Shape: int[]; Elem: Gen<float> }

let floats shape = { DType = F32; Shape = shape; Elem = Gen.choose (-300, 300) |> Gen.map (fun k -> float k / 100.0) }
let bools shape = { DType = Bool; Shape = shape; Elem = Gen.elements [ 0.0; 1.0 ] }
let ints lo hi shape = { DType = I32; Shape = shape; Elem = Gen.choose (lo, hi) |> Gen.map float }

[<NoEquality; NoComparison>]
type Case =
    { Name: string
      F: Value list -> Value list
      Args: NdArray list
      InAxes: int option list
      OutAxes: int option list
      Size: int }

    override this.ToString() =
        let args = System.String.Join(", ", this.Args |> List.map (fun a -> Aval.str a.Aval))
        $"{this.Name}: args ({args}) in_axes %A{this.InAxes} out_axes %A{this.OutAxes} size {this.Size}"

let private inChoices (rank: int) = [ Some 0; Some rank; Some -1; None ] @ (if rank >= 1 then [ Some 1 ] else [])
let private outChoices (rank: int) = [ Some 0; Some -1 ] @ (if rank >= 1 then [ Some 1 ] else [])

let arrayGen (arg: Arg) (shape: int[]) =
    Gen.listOfLength (Shape.size shape) arg.Elem |> Gen.map (fun xs -> NdArray.ofFloats arg.DType shape (Array.ofList xs))

/// A case of `f` over arguments like `args`, mapped along the axes `axisGens` draw, with a batch
/// size from `sizes`.
let caseWith (sizes: int list) (axisGens: Gen<int option> list) (name: string) (args: Arg list) (f: Value list -> Value list) : Gen<Case> =
    gen {
        let! size = Gen.elements sizes
        let! axes = Gen.sequenceToList axisGens
        let axes = if List.forall Option.isNone axes then Some 0 :: axes.Tail else axes
        let batched (a: Arg) (axis: int option) =
            match axis with
            | Some k -> Array.insertAt (norm k (a.Shape.Length + 1)) size a.Shape
            | None -> a.Shape
        let! data = List.map2 (fun a ax -> arrayGen a (batched a ax)) args axes |> Gen.sequenceToList
        let jaxpr, _ = traceToJaxpr f (args |> List.map (fun a -> Aval.make a.DType a.Shape))
        let! outAxes = jaxpr.OutVars |> List.map (fun o -> Gen.elements (outChoices (Aval.rank (Atom.aval o)))) |> Gen.sequenceToList
        return { Name = name; F = f; Args = data; InAxes = axes; OutAxes = outAxes; Size = size }
    }

/// A case of `f` over arguments like `args`, each mapped along a random axis (or not). Batch
/// sizes 4 and 5 differ from every other dimension drawn here (1 to 3), so an axis out of place
/// changes a shape; 1 tests size-1 broadcasting against the batch.
let case (name: string) (args: Arg list) (f: Value list -> Value list) : Gen<Case> =
    caseWith [ 1; 4; 5 ] (args |> List.map (fun a -> Gen.elements (inChoices a.Shape.Length))) name args f

/// The law: vmap equals the loop, eagerly and staged (the staged jaxpr verifies and has the
/// loop's output avals).
let check (c: Case) =
    let examples =
        [ for i in 0 .. c.Size - 1 ->
              List.map2 (fun (a: NdArray) ax ->
                  match ax with
                  | Some k -> Concrete(take (norm k a.Aval.Shape.Length) i a)
                  | None -> Concrete a) c.Args c.InAxes
              |> c.F |> List.map concreteOf ]
    let expected =
        c.OutAxes |> List.mapi (fun j ax ->
            let outs = examples |> List.map (fun e -> e[j])
            match ax with
            | Some k -> stack (norm k (outs.Head.Aval.Shape.Length + 1)) outs
            | None -> outs.Head)
    let actual = Api.vmap c.F c.InAxes c.OutAxes (c.Args |> List.map Concrete) |> List.map concreteOf
    List.iteri2 (fun j e a -> assertSame $"output {j}" e a) expected actual
    let jaxpr, _ = traceToJaxpr (Api.vmap c.F c.InAxes c.OutAxes) (c.Args |> List.map (fun a -> a.Aval))
    match LaxVerify.verify jaxpr with
    | [] -> ()
    | problems -> failwith (System.String.Join("\n", problems) + "\n" + LaxText.print jaxpr)
    let staged = jaxpr.OutVars |> List.map Atom.aval
    if staged <> (expected |> List.map (fun e -> e.Aval)) then failwith $"staged avals %A{staged} differ from the loop's"

let holds (cases: Gen<Case>) = Prop.forAll (Arb.fromGen cases) check

let shapeGen (minRank: int) (maxRank: int) =
    gen {
        let! r = Gen.choose (minRank, maxRank)
        let! dims = Gen.listOfLength r (Gen.choose (1, 3))
        return Array.ofList dims
    }

/// `k` distinct sorted picks from 0 .. n-1.
let picks (k: int) (n: int) = Gen.shuffle [| 0 .. n - 1 |] |> Gen.map (fun a -> a |> Array.take k |> Array.sort |> List.ofArray)

let one prim (xs: Value list) = [ bind1 prim xs ]

// ---------------------------------------------------------------------------------------------
// Elementwise.

let unaryFloat =
    [ Neg; Sign; Floor; Ceil; Round AwayFromZero; Round ToNearestEven; IsFinite; Exp; Log; Log1p; Expm1
      Sin; Cos; Tan; Tanh; Logistic; Sqrt; Rsqrt; Abs; IntegerPow 3; IntegerPow -2; IntegerPow 0
      ConvertElementType(I32, false); ConvertElementType(F64, false); ConvertElementType(Bool, false); StopGradient ]

[<Property>]
let ``vmap of a unary elementwise primitive is the loop`` () =
    holds (gen {
        let! s = shapeGen 0 3
        let! prim, arg = Gen.elements ((unaryFloat |> List.map (fun p -> p, floats s)) @ [ Not, ints -3 3 s; Not, bools s ])
        return! case (Lax.name prim) [ arg ] (one prim)
    })

/// Operand shapes lax accepts: equal, a scalar with anything, or size-1 dims facing full ones.
let broadcastPair =
    gen {
        let! s = shapeGen 0 3
        let! kind = Gen.choose (0, 3)
        match kind with
        | 0 -> return s, s
        | 1 -> return [||], s
        | 2 -> return s, [||]
        | _ ->
            let! ones = Gen.listOfLength s.Length (Gen.choose (0, 2))
            return Array.mapi (fun i d -> if ones[i] = 1 then 1 else d) s, Array.mapi (fun i d -> if ones[i] = 2 then 1 else d) s
    }

[<Property>]
let ``vmap of a binary elementwise primitive with broadcasting is the loop`` () =
    holds (gen {
        let! s1, s2 = broadcastPair
        let! prim, mk = Gen.elements ([ Pow; Add; Sub; Mul; Div; Rem; Max; Min; Atan2; Eq; Ne; Lt; Le; Gt; Ge; AddAny ] |> List.map (fun p -> p, floats) |> List.append [ And, bools; Or, bools; Add, ints -5 5 ])
        return! case (Lax.name prim) [ mk s1; mk s2 ] (one prim)
    })

[<Property>]
let ``vmap of select_n with a bool or int predicate, scalar or full, is the loop`` () =
    holds (gen {
        let! s = shapeGen 0 3
        let! scalarWhich = Gen.elements [ true; false ]
        let ws = if scalarWhich then [||] else s
        let! which, n = Gen.elements [ bools ws, 2; ints 0 2 ws, 3; ints 0 0 ws, 1 ]
        return! case "select_n" (which :: List.replicate n (floats s)) (fun xs -> [ L.selectN xs.Head xs.Tail ])
    })

[<Property>]
let ``vmap of select_n with an unbatched scalar predicate and cases batched at different axes is the loop`` () =
    // cases whose batched shapes agree although their batch axes differ take JAX's no-broadcast path
    holds (gen {
        let! size = Gen.elements [ 2; 3 ]
        let! rank = Gen.choose (1, 2)
        let s = Array.create rank size
        let axis = Gen.elements [ Some 0; Some -1; Some rank ]
        return! caseWith [ size ] [ Gen.constant None; axis; axis; axis ] "select_n" [ ints 0 2 [||]; floats s; floats s; floats s ] (fun xs -> [ L.selectN xs.Head xs.Tail ])
    })

// ---------------------------------------------------------------------------------------------
// Shapes.

[<Property>]
let ``vmap of broadcast_in_dim is the loop`` () =
    holds (gen {
        let! s = shapeGen 0 3
        let! k = Gen.choose (0, 2)
        let r = s.Length + k
        let! dims = picks s.Length r
        let! fill = Gen.listOfLength r (Gen.choose (1, 3))
        let! grow = Gen.listOfLength s.Length (Gen.choose (1, 3))
        let shape = List.init r (fun i -> match List.tryFindIndex ((=) i) dims with Some j -> (if s[j] = 1 then grow[j] else s[j]) | None -> fill[i])
        return! case "broadcast_in_dim" [ floats s ] (fun xs -> [ L.broadcastInDim shape dims xs.Head ])
    })

[<Property>]
let ``vmap of reshape, squeeze, expand_dims and transpose is the loop`` () =
    holds (gen {
        let! s = shapeGen 0 3
        let r = s.Length
        let dims = List.ofArray s
        let! sizes = Gen.elements ([ [ Shape.size s ]; List.rev dims; dims @ [ 1 ] ] @ (match dims with a :: b :: rest -> [ a * b :: rest ] | _ -> []))
        let! k = Gen.choose (1, 2)
        let! ones = picks k (r + k)
        let withOnes = let q = System.Collections.Generic.Queue(dims) in List.init (r + k) (fun i -> if List.contains i ones then 1 else q.Dequeue())
        let! perm = Gen.shuffle [| 0 .. r - 1 |]
        return! Gen.oneof
            [ case "reshape" [ floats s ] (fun xs -> [ L.reshape sizes xs.Head ])
              case "squeeze" [ floats (Array.ofList withOnes) ] (fun xs -> [ L.squeeze ones xs.Head ])
              case "expand_dims" [ floats s ] (fun xs -> [ L.expandDims ones xs.Head ])
              case "transpose" [ floats s ] (fun xs -> [ L.transpose (List.ofArray perm) xs.Head ]) ]
    })

[<Property>]
let ``vmap of rev, cumsum and the reductions is the loop`` () =
    holds (gen {
        let! s = shapeGen 1 3
        let r = s.Length
        let! axes = Gen.subListOf [ 0 .. r - 1 ]
        let! axis = Gen.choose (0, r - 1)
        let! reverse = Gen.elements [ true; false ]
        let! prim = Gen.elements [ ReduceSum axes; ReduceMax axes; ReduceMin axes; ReduceProd axes; Argmax([ axis ], I32); Argmin([ axis ], I32); Cumsum(axis, reverse); Rev axes ]
        return! case (Lax.name prim) [ floats s ] (one prim)
    })

// ---------------------------------------------------------------------------------------------
// Contraction, slicing and assembly.

[<Property>]
let ``vmap of dot_general with random dimension numbers is the loop`` () =
    holds (gen {
        let! nb, nc, lf, rf = Gen.zip (Gen.zip (Gen.choose (0, 1)) (Gen.choose (0, 2))) (Gen.zip (Gen.choose (0, 2)) (Gen.choose (0, 2))) |> Gen.map (fun ((a, b), (c, d)) -> a, b, c, d)
        let size = Gen.choose (1, 3)
        let! bs, cs = Gen.zip (Gen.arrayOfLength nb size) (Gen.arrayOfLength nc size)
        let! lfs, rfs = Gen.zip (Gen.arrayOfLength lf size) (Gen.arrayOfLength rf size)
        let axes free = [ for i in 0 .. nb - 1 -> 'b', i ] @ [ for i in 0 .. nc - 1 -> 'c', i ] @ [ for i in 0 .. free - 1 -> 'f', i ]
        let! lhs, rhs = Gen.zip (Gen.shuffle (Array.ofList (axes lf))) (Gen.shuffle (Array.ofList (axes rf)))
        let shapeOf order (fs: int[]) = order |> Array.map (fun (kind, i) -> match kind with 'b' -> bs[i] | 'c' -> cs[i] | _ -> fs[i])
        let where order kind n = List.init n (fun i -> Array.findIndex ((=) (kind, i)) order)
        let dims = { LhsContract = where lhs 'c' nc; RhsContract = where rhs 'c' nc; LhsBatch = where lhs 'b' nb; RhsBatch = where rhs 'b' nb }
        let! pref = Gen.elements [ None; Some F32 ]
        return! case "dot_general" [ floats (shapeOf lhs lfs); floats (shapeOf rhs rfs) ] (fun xs -> [ L.dotGeneral dims pref xs[0] xs[1] ])
    })

[<Property>]
let ``vmap of slice is the loop`` () =
    holds (gen {
        let! s = shapeGen 0 3
        let! bounds = s |> Array.map (fun d -> gen { let! a = Gen.choose (0, d) in let! b = Gen.choose (a, d) in let! st = Gen.choose (1, 2) in return a, b, st }) |> Gen.sequenceToList
        let starts, limits, strides = List.unzip3 bounds
        let! strided = Gen.elements [ true; false ]
        return! case "slice" [ floats s ] (fun xs -> [ L.slice starts limits (if strided then Some strides else None) xs.Head ])
    })

[<Property>]
let ``vmap of pad with a batched or unbatched padding value is the loop`` () =
    holds (gen {
        let! s = shapeGen 0 3
        let! config =
            s |> Array.map (fun d -> gen {
                let! lo, hi, interior = Gen.three (Gen.choose (-1, 2)) |> Gen.map (fun (a, b, c) -> a, b, max c 0)
                return if lo + hi + d + (d - 1) * interior < 0 then (0, hi, interior) else (lo, hi, interior) })
            |> Gen.sequenceToList
        return! case "pad" [ floats s; floats [||] ] (fun xs -> [ L.pad config xs[0] xs[1] ])
    })

[<Property>]
let ``vmap of concatenate is the loop`` () =
    holds (gen {
        let! s = shapeGen 1 3
        let! dim = Gen.choose (0, s.Length - 1)
        let! n = Gen.choose (1, 3)
        let! sizes = Gen.listOfLength n (Gen.choose (1, 3))
        return! case "concatenate" (sizes |> List.map (fun k -> floats (Array.updateAt dim k s))) (fun xs -> [ L.concatenate dim xs ])
    })

[<Property>]
let ``vmap of dynamic_slice and dynamic_update_slice with static indices is the loop`` () =
    holds (gen {
        let! s = shapeGen 0 3
        let! sizes = s |> Array.map (fun d -> Gen.choose (0, d)) |> Gen.sequenceToList
        // indices past either end are clamped, as in lax
        let! starts = s |> Array.map (fun d -> Gen.choose (-1, d)) |> Gen.sequenceToList
        let indices () = starts |> List.map (fun i -> L.constant I32 (float i))
        return! Gen.oneof
            [ case "dynamic_slice" [ floats s ] (fun xs -> [ L.dynamicSlice sizes xs.Head (indices ()) ])
              case "dynamic_update_slice" [ floats s; floats (Array.ofList sizes) ] (fun xs -> [ L.dynamicUpdateSlice xs[0] xs[1] (indices ()) ]) ]
    })

[<Property(MaxTest = 500)>]
let ``vmap of dynamic_slice and dynamic_update_slice with per-example indices is the loop`` () =
    holds (gen {
        let! s = shapeGen 1 3
        let! sizes = s |> Array.map (fun d -> Gen.choose (0, d)) |> Gen.sequenceToList
        // start indices drawn past either end too: each example clamps its own, as lax does
        let indices = s |> Array.map (fun d -> ints -1 (d + 1) [||]) |> List.ofArray
        return! Gen.oneof
            [ case "dynamic_slice" (floats s :: indices) (fun xs -> [ L.dynamicSlice sizes xs.Head xs.Tail ])
              case "dynamic_update_slice" (floats s :: floats (Array.ofList sizes) :: indices) (fun xs -> [ L.dynamicUpdateSlice xs[0] xs[1] (List.skip 2 xs) ]) ]
    })

// ---------------------------------------------------------------------------------------------
// Constructors, regions, nesting and other traces inside vmap.

[<Property>]
let ``iota inside a batched function stays unbatched and is broadcast to the out axis`` () =
    holds (gen {
        let! s = shapeGen 1 3
        let! dim = Gen.choose (0, s.Length - 1)
        return! case "iota" [ floats s ] (fun xs -> [ L.add xs.Head (L.iota F32 (List.ofArray s) dim); L.iota I32 [ 3 ] 0 ])
    })

[<Property>]
let ``a pjit region is batched by inlining`` () =
    holds (gen {
        let! s = shapeGen 0 2
        let g (xs: Value list) = [ L.mul (L.sin xs[0]) xs[1]; L.reduceSum [ 0 .. s.Length - 1 ] xs[0] ]
        let closed = Api.makeJaxpr g [ Concrete(NdArray.full F32 s 0.0); Concrete(NdArray.full F32 s 0.0) ]
        return! case "pjit" [ floats s; floats s ] (bind (Pjit("g", closed)))
    })

[<Property>]
let ``vmap of vmap is the loop of vmap`` () =
    holds (gen {
        let! s = shapeGen 0 2
        let! n = Gen.choose (1, 3)
        let inner (ys: Value list) = [ L.add (L.sin ys[0]) ys[1]; L.reduceMax [] ys[1] ]
        return! case "vmap" [ floats (Array.insertAt 0 n s); floats s ] (Api.vmap inner [ Some 0; None ] [ Some -1; None ])
    })

[<Property>]
let ``vmap of jvp is the loop of jvp`` () =
    holds (gen {
        let! s = shapeGen 0 2
        let f (xs: Value list) =
            let outs, tangents = Api.jvp (fun ys -> [ L.mul (L.sin ys[0]) ys[0] ]) [ xs[0] ] [ xs[1] ]
            outs @ tangents
        return! case "jvp" [ floats s; floats s ] f
    })

/// A scalar loss of two arrays, through broadcasting, a contraction-like reduction and a select.
let private loss (ys: Value list) =
    let prod = L.mul (L.sin ys[0]) ys[1]
    L.reduceSum [ 0 .. (Value.aval prod).Shape.Length - 1 ] (L.select (L.gt prod (L.constant F32 0.0)) prod (L.mul prod prod))

[<Property>]
let ``vmap of grad gives the per-example gradients`` () =
    holds (gen {
        let! s = shapeGen 0 2
        return! case "grad" [ floats s; floats s ] (Api.grad loss [ 0; 1 ])
    })

[<Property>]
let ``grad of a sum over vmap is the vmap of grad`` () =
    Prop.forAll (Arb.fromGen (gen {
        let! s = shapeGen 0 2
        let! x = arrayGen (floats (Array.insertAt 0 4 s)) (Array.insertAt 0 4 s)
        let! y = arrayGen (floats s) s
        return x, y })) (fun (x, y) ->
        let total (xs: Value list) =
            let per = Api.vmap (fun ys -> [ loss ys ]) [ Some 0; None ] [ Some 0 ] xs
            L.reduceSum [ 0 ] per.Head
        let grads = Api.grad total [ 0; 1 ] [ Concrete x; Concrete y ]
        let perExample = Api.vmap (Api.grad loss [ 0; 1 ]) [ Some 0; None ] [ Some 0; Some 0 ] [ Concrete x; Concrete y ]
        assertSame "d/dx" (concreteOf perExample[0]) (concreteOf grads[0])
        // y is shared by every example, so its gradient is the sum of the per-example ones
        assertSame "d/dy" (concreteOf (L.reduceSum [ 0 ] perExample[1])) (concreteOf grads[1]))
