/// Properties of Backend.Interpreter's layout, reduction and contraction primitives and of
/// evalJaxpr: each result equals a naive reference that walks multi-indices explicitly (row-major
/// arithmetic from InterpreterReference) on random shapes, params and dtypes, and carries the
/// type rule's aval.
module InterpreterLayoutTests

open System
open Xunit
open FsCheck.FSharp
open FsCheck.Xunit
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Backend
open InterpreterReference

let private genAny =
    gen {
        let! dtype = genDType
        let! shape = genShape
        return! genArray dtype shape
    }

[<Property>]
let ``broadcast_in_dim maps operand dim i to output dim bdims[i] and repeats size-1 dims`` () =
    let genCase =
        gen {
            let! x = genAny
            let shape = shapeOf x
            let! extra = Gen.choose (0, 2)
            let rank = shape.Length + extra
            let! order = Gen.shuffle [ 0 .. rank - 1 ]
            let bdims = order |> Array.take shape.Length |> Array.sort |> List.ofArray
            let! fresh = genShapeOfRank rank
            let target =
                List.init rank (fun k ->
                    match List.tryFindIndex ((=) k) bdims with
                    | Some i when shape[i] <> 1 -> shape[i]
                    | Some _ | None -> fresh[k])
            return x, target, bdims
        }
    forAll genCase (fun (x, target, bdims) ->
        let shape = shapeOf x
        check (BroadcastInDim(target, bdims)) [ x ] x.Aval.DType target exact (fun index ->
            at x (List.mapi (fun i b -> if shape[i] = 1 then 0 else index[b]) bdims)))

[<Property>]
let ``reshape, squeeze and expand_dims keep the row-major elements`` () =
    let genCase =
        gen {
            let! x = genAny
            let shape = shapeOf x
            // reshape target: merge neighbouring dims, or flatten, then sprinkle 1s
            let! merges = Gen.sequenceToList (List.replicate shape.Length (Gen.elements [ true; false ]))
            let merged =
                List.zip shape merges
                |> List.fold (fun acc (d, merge) -> match acc with last :: rest when merge -> last * d :: rest | _ -> d :: acc) []
                |> List.rev
            let! flatten = Gen.elements [ true; false ]
            let! ones = Gen.choose (0, 2)
            let! at = Gen.choose (0, 3)
            let baseShape = if flatten then [ size shape ] else merged
            let target = List.insertManyAt (min at baseShape.Length) (List.replicate ones 1) baseShape
            let! expandAt = Gen.shuffle [ 0 .. shape.Length + ones - 1 ]
            return x, target, expandAt |> Array.take ones |> List.ofArray
        }
    forAll genCase (fun (x, target, expandDims) ->
        let flatX (index: int list) = NdArray.item (flat target index) x
        check (Reshape target) [ x ] x.Aval.DType target exact flatX
        let shape = shapeOf x
        let squeezable = shape |> List.indexed |> List.filter (fun (_, d) -> d = 1) |> List.map fst
        let squeezed = shape |> List.indexed |> List.filter (fun (i, _) -> not (List.contains i squeezable)) |> List.map snd
        check (Squeeze squeezable) [ x ] x.Aval.DType squeezed exact (fun index -> NdArray.item (flat squeezed index) x)
        let rank = shape.Length + expandDims.Length
        let rest = Collections.Generic.Queue<int>(shape)
        let expanded = List.init rank (fun i -> if List.contains i expandDims then 1 else rest.Dequeue())
        check (ExpandDims expandDims) [ x ] x.Aval.DType expanded exact (fun index -> NdArray.item (flat expanded index) x))

[<Property>]
let ``transpose puts operand dim perm[k] at output dim k`` () =
    let genCase =
        gen {
            let! x = genAny
            let! perm = genPermutation (shapeOf x).Length
            return x, perm
        }
    forAll genCase (fun (x, perm) ->
        let shape = shapeOf x
        let outShape = perm |> List.map (fun p -> shape[p])
        check (Transpose perm) [ x ] x.Aval.DType outShape exact (fun index ->
            at x (List.init shape.Length (fun j -> index[List.findIndex ((=) j) perm]))))

[<Property>]
let ``slice reads start + c * stride along each dim`` () =
    let genCase =
        gen {
            let! x = genAny
            let! bounds =
                shapeOf x
                |> List.map (fun d -> gen {
                    let! s = Gen.choose (0, d)
                    let! l = Gen.choose (s, d)
                    let! st = Gen.choose (1, 3)
                    return s, l, st })
                |> Gen.sequenceToList
            let! unitStrides = Gen.elements [ true; false ]
            return x, bounds, unitStrides
        }
    forAll genCase (fun (x, bounds, unitStrides) ->
        let bounds = if unitStrides then bounds |> List.map (fun (s, l, _) -> s, l, 1) else bounds
        let starts = bounds |> List.map (fun (s, _, _) -> s)
        let strides = bounds |> List.map (fun (_, _, st) -> st)
        let outShape = bounds |> List.map (fun (s, l, st) -> (l - s + st - 1) / st)
        let prim = Slice(starts, bounds |> List.map (fun (_, l, _) -> l), (if unitStrides then None else Some strides))
        check prim [ x ] x.Aval.DType outShape exact (fun index ->
            at x (List.map3 (fun s st c -> s + c * st) starts strides index)))

/// Scalar start indices in [-3, dim + 2] (clamped by XLA), int32 or (non-negative) uint32.
let private genStarts (dims: int list) =
    dims
    |> List.map (fun d -> gen {
        let! i = Gen.choose (-3, d + 2)
        let! unsigned = Gen.elements [ true; false ]
        return if unsigned then NdArray.scalar U32 false (float (max i 0)) else NdArray.scalar I32 false (float i) })
    |> Gen.sequenceToList

let private clampStart (d: int) (size: int) (start: NdArray) = Math.Clamp(int (NdArray.item 0 start), 0, d - size)

[<Property>]
let ``dynamic_slice reads the window at the start indices clamped so it fits`` () =
    let genCase =
        gen {
            let! x = genAny
            let! sizes = shapeOf x |> List.map (fun d -> Gen.choose (0, d)) |> Gen.sequenceToList
            let! starts = genStarts (shapeOf x)
            return x, sizes, starts
        }
    forAll genCase (fun (x, sizes, starts) ->
        let origin = List.map3 clampStart (shapeOf x) sizes starts
        check (DynamicSlice sizes) (x :: starts) x.Aval.DType sizes exact (fun index -> at x (List.map2 (+) origin index)))

[<Property>]
let ``dynamic_update_slice writes the update at the clamped start indices and keeps the rest`` () =
    let genCase =
        gen {
            let! x = genAny
            let! sizes = shapeOf x |> List.map (fun d -> Gen.choose (0, d)) |> Gen.sequenceToList
            let! update = genArray x.Aval.DType sizes
            let! starts = genStarts (shapeOf x)
            return x, update, starts
        }
    forAll genCase (fun (x, update, starts) ->
        let sizes = shapeOf update
        let origin = List.map3 clampStart (shapeOf x) sizes starts
        check DynamicUpdateSlice (x :: update :: starts) x.Aval.DType (shapeOf x) exact (fun index ->
            let inside = List.forall2 (fun (o, s) i -> i >= o && i < o + s) (List.zip origin sizes) index
            if inside then at update (List.map2 (-) index origin) else at x index))

[<Property>]
let ``concatenate stacks operands along the dimension in order`` () =
    let genCase =
        gen {
            let! rank = Gen.choose (1, 3)
            let! shape = genShapeOfRank rank
            let! dim = Gen.choose (0, rank - 1)
            let! count = Gen.choose (1, 3)
            let! dtype = genDType
            let! lengths = Gen.sequenceToList (List.replicate count genDim)
            let! xs = lengths |> List.map (fun n -> genArray dtype (List.updateAt dim n shape)) |> Gen.sequenceToList
            return dim, xs
        }
    forAll genCase (fun (dim, xs) ->
        let lengths = xs |> List.map (fun x -> (shapeOf x)[dim])
        let outShape = List.updateAt dim (List.sum lengths) (shapeOf xs.Head)
        check (Concatenate dim) xs xs.Head.Aval.DType outShape exact (fun index ->
            // walk the operands until the coordinate along dim falls inside one
            let rec find (c: int) (operands: NdArray list) =
                match operands with
                | x :: rest -> let n = (shapeOf x)[dim] in if c < n then at x (List.updateAt dim c index) else find (c - n) rest
                | [] -> failwith "coordinate past the last operand"
            find index[dim] xs))

[<Property>]
let ``pad places element i at low + i * (interior + 1) and crops negative padding`` () =
    let genCase =
        gen {
            let! x = genAny
            let! config =
                shapeOf x
                |> List.map (fun d -> gen {
                    let! lo = Gen.choose (-2, 3)
                    let! hi = Gen.choose (-2, 3)
                    let! interior = Gen.choose (0, 2)
                    let n = lo + hi + d + max (d - 1) 0 * interior
                    return lo, (if n < 0 then hi - n else hi), interior })
                |> Gen.sequenceToList
            let! value = genArray x.Aval.DType []
            return x, config, value
        }
    forAll genCase (fun (x, config, value) ->
        let shape = shapeOf x
        let outShape = List.map2 (fun d (lo, hi, interior) -> lo + hi + d + max (d - 1) 0 * interior) shape config
        check (Pad config) [ x; value ] x.Aval.DType outShape exact (fun index ->
            let source =
                List.map3 (fun d (lo, _, interior) c ->
                    let t = c - lo
                    if t >= 0 && t % (interior + 1) = 0 && t / (interior + 1) < d then Some(t / (interior + 1)) else None) shape config index
            if List.forall Option.isSome source then at x (List.map Option.get source) else NdArray.item 0 value))

[<Property>]
let ``rev reverses exactly the listed dimensions`` () =
    let genCase =
        gen {
            let! x = genAny
            let! dims = Gen.subListOf [ 0 .. (shapeOf x).Length - 1 ]
            return x, dims
        }
    forAll genCase (fun (x, dims) ->
        let shape = shapeOf x
        check (Rev dims) [ x ] x.Aval.DType shape exact (fun index ->
            at x (List.mapi (fun k c -> if List.contains k dims then shape[k] - 1 - c else c) index)))

[<Property>]
let ``iota counts along its dimension in any numeric dtype`` () =
    let genCase =
        gen {
            let! rank = Gen.choose (1, 3)
            let! shape = genShapeOfRank rank
            let! dim = Gen.choose (0, rank - 1)
            let! dtype = genNumeric
            return dtype, shape, dim
        }
    forAll genCase (fun (dtype, shape, dim) ->
        check (Iota(dtype, shape, dim)) [] dtype shape exact (fun index -> float index[dim]))

[<Property>]
let ``stop_gradient is the identity`` () =
    forAll genAny (fun x -> check StopGradient [ x ] x.Aval.DType (shapeOf x) exact (at x))
