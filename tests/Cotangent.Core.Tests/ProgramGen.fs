/// FsCheck generators for random programs: `programGen` (templates that guard each op into its
/// domain), `Sample` (a program with pools of uniform numbers for its data), `sampleGen`,
/// `shrinkSample` and `Generators`, the Arbitrary to register.
/// Guarantees: every generated or shrunk program passes `Program.check` (ProgramRun), so it keeps
/// the shape, range and domain bounds that ProgramCheck states.
module Cotangent.Core.Tests.ProgramGen

open System
open System.Collections.Generic
open FsCheck
open FsCheck.FSharp
open Cotangent.Core
open Cotangent.Core.Tests.ProgramCheck
open Cotangent.Core.Tests.ProgramRun
module Lax = Cotangent.Core.Dialects.Lax

// ---------------------------------------------------------------------------------------------
// Generation: each template proposes nodes (guards first) over the values so far; proposals
// that fail `inferNode` are dropped and another template is tried.

/// The values so far while generating: their specs, and which ones nothing reads yet.
type private Values =
    { Specs: Spec[]
      Unread: bool[] }

    member this.Item with get (i: int) = this.Specs[i]
    member this.Length = this.Specs.Length

/// A value whose spec satisfies `ok`; later values and unread ones are likelier, so programs
/// grow deep rather than wide.
let private pick (values: Values) (ok: Spec -> bool) : Gen<int option> =
    match [ for i in 0 .. values.Length - 1 do if ok values[i] then yield i ] with
    | [] -> Gen.constant None
    | candidates -> Gen.frequency [ for i in candidates -> (i + 1) * (if values.Unread[i] then 4 else 1), Gen.constant (Some i) ]

let private rank (s: Spec) = s.Shape.Length
let private anyValue (_: Spec) = true
let private literals = [ -2.0; -1.5; -1.0; -0.5; 0.5; 1.0; 1.5; 2.0; 3.0 ]

/// `count` distinct sorted picks from `xs`.
let private subset (count: int) (xs: int list) = Gen.shuffle xs |> Gen.map (fun a -> a |> Array.truncate count |> Array.sort |> List.ofArray)

/// A template: the values so far to proposed nodes ([] when nothing fits).
type private Template = Values -> Gen<Node list>

/// A template on one value satisfying `ok`: `body specs x specs[x]`.
let private withValue (ok: Spec -> bool) (body: Values -> int -> Spec -> Gen<Node list>) : Template =
    fun specs -> gen {
        match! pick specs ok with
        | None -> return []
        | Some x -> return! body specs x specs[x]
    }

/// Guards making value x positive (>= 0.25): 1 + x^2, or exp of a squashed x; with n the next
/// value's number, returns the guard nodes and the guarded value.
let private positive (x: int) (n: int) : Gen<Node list * int> =
    gen {
        let! squash = Gen.elements [ UnaryOp.Tanh; UnaryOp.Sin ]
        let! viaSquare = Gen.elements [ true; false ]
        if viaSquare then return [ Node.Unary(UnaryOp.Square, x); Node.Binary(BinaryOp.Add, Ref n, Const 1.0) ], n + 1
        else return [ Node.Unary(squash, x); Node.Unary(UnaryOp.Exp, n) ], n + 1
    }

/// Guards keeping x away from 0 (>= 1): 2 + sin x; like `positive`.
let private awayFromZero (x: int) (n: int) = [ Node.Unary(UnaryOp.Sin, x); Node.Binary(BinaryOp.Add, Ref n, Const 2.0) ], n + 1

let private unaryT : Template =
    fun specs -> gen {
        let n = specs.Length
        let! op =
            Gen.elements [ UnaryOp.Sin; UnaryOp.Cos; UnaryOp.Tan; UnaryOp.Tanh; UnaryOp.Logistic; UnaryOp.Neg; UnaryOp.Abs; UnaryOp.Exp; UnaryOp.Expm1; UnaryOp.Log
                           UnaryOp.Log1p; UnaryOp.Sqrt; UnaryOp.Rsqrt; UnaryOp.Square; UnaryOp.Cube; UnaryOp.InverseSquare ]
        let! x = pick specs anyValue |> Gen.map Option.get
        let s = specs[x]
        let! squash = Gen.elements [ UnaryOp.Tanh; UnaryOp.Sin ]
        match op with
        | UnaryOp.Exp | UnaryOp.Expm1 when s.Hi > 2.0 -> return [ Node.Unary(squash, x); Node.Unary(op, n) ]
        | UnaryOp.Tan when max (abs s.Lo) (abs s.Hi) > 1.2 -> return [ Node.Unary(squash, x); Node.Unary(op, n) ]
        | UnaryOp.Log | UnaryOp.Sqrt | UnaryOp.Rsqrt | UnaryOp.Log1p when s.Lo < 0.25 ->
            let! guard, y = positive x n
            return guard @ [ Node.Unary(op, y) ]
        | UnaryOp.InverseSquare when s.Lo < 0.5 && s.Hi > -0.5 ->
            let guard, y = awayFromZero x n
            return guard @ [ Node.Unary(op, y) ]
        | _ -> return [ Node.Unary(op, x) ]
    }

let private binaryT : Template =
    fun specs -> gen {
        let n = specs.Length
        let! op =
            Gen.frequency [ 3, Gen.constant BinaryOp.Add; 2, Gen.constant BinaryOp.Sub; 3, Gen.constant BinaryOp.Mul; 2, Gen.constant BinaryOp.Div; 1, Gen.constant BinaryOp.Rem
                            1, Gen.constant BinaryOp.Max; 1, Gen.constant BinaryOp.Min; 1, Gen.constant BinaryOp.Pow; 1, Gen.constant BinaryOp.Atan2 ]
        let! x = pick specs anyValue |> Gen.map Option.get
        let fits (s: Spec) = try broadcast2 specs[x].Shape s.Shape |> ignore; true with InvalidProgram _ -> false
        let! y = pick specs fits
        let! useLiteral = Gen.frequency [ 1, Gen.constant true; 3, Gen.constant false ]
        let! c = Gen.elements literals
        let! swap = Gen.elements [ true; false ]
        let other = match y with Some y when not useLiteral -> Ref y | _ -> Const c
        let a, b = if swap then other, Ref x else Ref x, other
        let lo (o: Operand) = match o with Ref r -> specs[r].Lo | Const c -> c
        let hi (o: Operand) = match o with Ref r -> specs[r].Hi | Const c -> c
        match op, a, b with
        | (BinaryOp.Div | BinaryOp.Rem), _, Ref r when lo b < 0.5 && hi b > -0.5 ->
            let guard, d = awayFromZero r n
            return guard @ [ Node.Binary(op, a, Ref d) ]
        | BinaryOp.Pow, Ref r, _ when lo a < 0.25 ->
            // a positive base; an exponent too large in magnitude fails the check
            let! guard, base' = positive r n
            return guard @ [ Node.Binary(op, Ref base', b) ]
        | BinaryOp.Atan2, _, Ref r when lo b < 0.25 ->
            let! guard, x' = positive r n
            return guard @ [ Node.Binary(op, a, Ref x') ]
        | _ -> return [ Node.Binary(op, a, b) ]
    }

/// where(p > q, x, y) over four broadcast-compatible operands, some literals.
let private whereT : Template =
    fun specs -> gen {
        let! p = pick specs anyValue |> Gen.map Option.get
        let fits (shapes: int[] list) (s: Spec) = try List.fold broadcast2 s.Shape shapes |> ignore; true with InvalidProgram _ -> false
        let operand (shapes: int[] list) = gen {
            let! r = pick specs (fits shapes)
            let! c = Gen.elements literals
            let! useLiteral = Gen.frequency [ 1, Gen.constant true; 2, Gen.constant false ]
            return match r with Some r when not useLiteral -> Ref r, specs[r].Shape :: shapes | _ -> Const c, shapes }
        let! q, shapes = operand [ specs[p].Shape ]
        let! x, shapes = operand shapes
        let! y, _ = operand shapes
        return [ Node.Where(Ref p, q, x, y) ]
    }

let private reduceT : Template =
    withValue anyValue (fun _ x s -> gen {
        let! reducer = Gen.frequency [ 3, Gen.constant Reducer.Sum; 1, Gen.constant Reducer.Mean; 2, Gen.constant Reducer.Max; 1, Gen.constant Reducer.Min; 1, Gen.constant Reducer.Prod ]
        let! count = Gen.choose (0, rank s)
        let! axes = subset count [ 0 .. rank s - 1 ]
        let! keep = Gen.elements [ true; false ]
        return [ Node.Reduce(reducer, axes, keep, x) ] })

let private cumsumT : Template =
    withValue (fun s -> rank s >= 1) (fun _ x s -> gen {
        let! axis = Gen.choose (0, rank s - 1)
        let! reverse = Gen.elements [ true; false ]
        return [ Node.Cumsum(axis, reverse, x) ] })

/// The shapes of rank <= 3 with `size` elements.
let private factorizations (size: int) =
    let divisors = [ 1 .. size ] |> List.filter (fun d -> size % d = 0)
    [ if size = 1 then yield []
      yield [ size ]
      for a in divisors do yield [ a; size / a ]
      for a in divisors do
          for b in divisors do
              if (size / a) % b = 0 then yield [ a; b; size / a / b ] ]

let private reshapeT : Template =
    withValue anyValue (fun _ x s -> gen {
        let shapes = factorizations (Shape.size s.Shape) |> List.filter (fun t -> t <> List.ofArray s.Shape)
        if shapes.IsEmpty then return []
        else
            let! shape = Gen.elements shapes
            return [ Node.Reshape(shape, x) ] })

let private transposeT : Template =
    withValue (fun s -> rank s >= 2) (fun _ x s -> gen {
        let! perm = Gen.shuffle [ 0 .. rank s - 1 ]
        return [ Node.Transpose(List.ofArray perm, x) ] })

let private expandDimsT : Template =
    withValue (fun s -> rank s <= 2) (fun _ x s -> gen {
        let! axis = Gen.choose (0, rank s)
        return [ Node.ExpandDims(axis, x) ] })

let private squeezeT : Template =
    withValue (fun s -> Array.contains 1 s.Shape) (fun _ x s -> gen {
        let ones = [ 0 .. rank s - 1 ] |> List.filter (fun i -> s.Shape[i] = 1)
        let! count = Gen.choose (1, ones.Length)
        let! axes = subset count ones
        return [ Node.Squeeze(axes, x) ] })

let private broadcastToT : Template =
    withValue (fun s -> rank s <= 2 || Array.contains 1 s.Shape) (fun _ x s -> gen {
        let! lead = Gen.choose (0, 3 - rank s)
        let! leading = Gen.listOfLength lead (Gen.choose (1, 3))
        let! grown = s.Shape |> Array.map (fun d -> if d = 1 then Gen.choose (1, 3) else Gen.constant d) |> Gen.sequenceToList
        let target = leading @ grown
        return if target = List.ofArray s.Shape then [] else [ Node.BroadcastTo(target, x) ] })

let private revT : Template =
    withValue (fun s -> rank s >= 1) (fun _ x s -> gen {
        let! count = Gen.choose (1, rank s)
        let! dims = subset count [ 0 .. rank s - 1 ]
        return [ Node.Rev(dims, x) ] })

let private sliceT : Template =
    withValue (fun s -> rank s >= 1) (fun _ x s -> gen {
        let! bounds =
            s.Shape |> Array.map (fun d -> gen {
                let! start = Gen.choose (0, d - 1)
                let! limit = Gen.choose (start + 1, d)
                let! stride = Gen.frequency [ 3, Gen.constant 1; 1, Gen.constant 2 ]
                return start, limit, stride })
            |> Gen.sequenceToList
        let starts, limits, strides = List.unzip3 bounds
        return [ Node.Slice(starts, limits, strides, x) ] })

let private indexT : Template =
    withValue (fun s -> rank s >= 1) (fun _ x s -> gen {
        let! i = Gen.choose (0, s.Shape[0] - 1)
        return [ Node.Index(i, x) ] })

let private concatenateT : Template =
    withValue (fun s -> rank s >= 1) (fun specs x s -> gen {
        let! axis = Gen.choose (0, rank s - 1)
        let rest (t: int[]) = Array.removeAt axis t
        let! more = Gen.choose (1, 2)
        let! others = Gen.listOfLength more (pick specs (fun t -> rank t = rank s && rest t.Shape = rest s.Shape) |> Gen.map Option.get)
        let! order = Gen.shuffle (x :: others)
        return [ Node.Concatenate(axis, List.ofArray order) ] })

let private padT : Template =
    withValue (fun s -> rank s >= 1) (fun specs x s -> gen {
        let! config =
            s.Shape |> Array.map (fun _ -> gen {
                let! lo = Gen.frequency [ 1, Gen.constant -1; 3, Gen.constant 0; 2, Gen.constant 1; 1, Gen.constant 2 ]
                let! hi = Gen.frequency [ 1, Gen.constant -1; 3, Gen.constant 0; 2, Gen.constant 1; 1, Gen.constant 2 ]
                let! interior = Gen.frequency [ 3, Gen.constant 0; 1, Gen.constant 1 ]
                return lo, hi, interior })
            |> Gen.sequenceToList
        let! c = Gen.elements literals
        let! scalar = pick specs (fun t -> rank t = 0)
        let! useScalar = Gen.elements [ true; false ]
        return [ Node.Pad(config, (match scalar with Some r when useScalar -> Ref r | _ -> Const c), x) ] })

let private updateSliceT : Template =
    withValue (fun s -> rank s >= 1) (fun specs x s -> gen {
        let fits (t: Spec) = rank t = rank s && Array.forall2 (<=) t.Shape s.Shape
        match! pick specs fits with
        | None -> return []
        | Some u ->
            // sometimes one past either end, where lax clamps
            let! starts = Array.map2 (fun d e -> Gen.choose (-1, d - e + 1)) s.Shape specs[u].Shape |> Gen.sequenceToList
            return [ Node.UpdateSlice(starts, x, u) ]
    })

let private dynamicSliceT : Template =
    withValue (fun s -> rank s >= 1) (fun _ x s -> gen {
        let! sizes = s.Shape |> Array.map (fun d -> Gen.choose (1, d)) |> Gen.sequenceToList
        let! starts = List.map2 (fun d e -> Gen.choose (-1, d - e + 1)) (List.ofArray s.Shape) sizes |> Gen.sequenceToList
        return [ Node.DynamicSlice(starts, sizes, x) ] })

let private dotGeneralT : Template =
    fun specs -> gen {
        let! x = pick specs (fun s -> rank s >= 1)
        let! y = pick specs (fun s -> rank s >= 1)
        match x, y with
        | Some x, Some y ->
            let a, b = specs[x].Shape, specs[y].Shape
            let! pairs = Gen.shuffle [ for i in 0 .. a.Length - 1 do for j in 0 .. b.Length - 1 do if a[i] = b[j] then yield i, j ]
            let disjoint = pairs |> Array.fold (fun acc (i, j) -> if acc |> List.exists (fun (k, l) -> k = i || l = j) then acc else acc @ [ i, j ]) []
            let! contract = Gen.choose (0, min 2 disjoint.Length)
            let! batch = Gen.choose (0, min 1 (disjoint.Length - contract))
            let cs, bs = List.take contract disjoint, disjoint |> List.skip contract |> List.truncate batch
            let dims: Lax.DotDims = { LhsContract = List.map fst cs; RhsContract = List.map snd cs; LhsBatch = List.map fst bs; RhsBatch = List.map snd bs }
            return [ Node.DotGeneral(dims, x, y) ]
        | _ -> return []
    }

let private matmulT : Template =
    withValue (fun s -> rank s >= 1) (fun specs x s -> gen {
        let fits (t: Spec) = rank t >= 1 && (try matmulShape s.Shape t.Shape |> ignore; true with InvalidProgram _ -> false)
        match! pick specs fits with
        | Some y -> return [ Node.Matmul(x, y) ]
        | None -> return []
    })

let private templates : (int * Template) list =
    [ 4, unaryT; 4, binaryT; 2, reduceT; 1, cumsumT; 1, reshapeT; 1, transposeT; 1, expandDimsT; 1, squeezeT
      1, broadcastToT; 1, revT; 1, sliceT; 1, indexT; 1, concatenateT; 1, padT; 1, whereT; 1, dynamicSliceT; 1, updateSliceT; 2, dotGeneralT; 1, matmulT ]

/// The values after `nodes`, or None when a node does not check.
let private extend (values: Values) (nodes: Node list) : Values option =
    try
        let all = List<Spec>(values.Specs)
        for node in nodes do all.Add(inferNode all node)
        let unread = Array.append values.Unread (Array.create nodes.Length true)
        for r in List.collect refsOf nodes do unread[r] <- false
        Some { Specs = all.ToArray(); Unread = unread }
    with InvalidProgram _ -> None

let private inputGen : Gen<Spec> =
    gen {
        let! r = Gen.choose (0, 3)
        let! shape = Gen.arrayOfLength r (Gen.choose (1, 4))
        let! positive = Gen.frequency [ 2, Gen.constant false; 1, Gen.constant true ]
        return if positive then { Shape = shape; Lo = 0.5; Hi = 1.5 } else { Shape = shape; Lo = -1.0; Hi = 1.0 }
    }

/// A random valid program: 1-3 inputs and up to 3 + size/5 templates (each 1-3 nodes); its
/// outputs are the last value, sometimes one or two other values nothing reads, and rarely any
/// value (an input, or one already an output).
let programGen : Gen<Program> =
    Gen.sized (fun size -> gen {
        let! inputs = Gen.choose (1, 3) |> Gen.bind (fun k -> Gen.listOfLength k inputGen)
        let! steps = Gen.choose (1, 3 + min 20 (size / 5))
        let rec grow (values: Values) (nodes: Node list) (left: int) (tries: int) : Gen<Values * Node list> =
            if left = 0 || tries = 0 then Gen.constant (values, nodes)
            else gen {
                let! proposal = Gen.frequency (templates |> List.map (fun (w, t) -> w, t values))
                match extend values proposal with
                | Some grown when not proposal.IsEmpty -> return! grow grown (nodes @ proposal) (left - 1) tries
                | _ -> return! grow values nodes left (tries - 1)
            }
        let start = { Specs = Array.ofList inputs; Unread = Array.create inputs.Length true }
        let! values, nodes = grow start [] steps 100
        let last = values.Length - 1
        let sinks = [ last - 1 .. -1 .. inputs.Length ] |> List.filter (fun i -> values.Unread[i])
        let! extra = Gen.frequency [ 2, Gen.constant 0; 1, Gen.constant 1; 1, Gen.constant 2 ]
        // rarely an input, or a value twice, as an output
        let! odd = Gen.frequency [ 6, Gen.constant None; 1, Gen.choose (0, last) |> Gen.map Some ]
        let outputs = last :: List.truncate extra sinks
        return Program.prune { Inputs = inputs; Nodes = nodes; Outputs = (match odd with Some o when outputs.Length < 3 -> outputs @ [ o ] | _ -> outputs) }
    })

// ---------------------------------------------------------------------------------------------
// Samples: a program with the random numbers for its data.

/// How many pools of uniform numbers a sample carries, and their length: one array of up to 4
/// examples of 64 elements each. Views take prefixes, so a shrunk program keeps its data.
let poolCount, poolLength = 12, 256

/// A program and pools of uniform numbers in (0, 1) for its data: pool i < 3 holds input i's
/// elements; properties draw directions and cotangents from the rest.
[<StructuredFormatDisplay("{Display}")>]
type Sample =
    { Program: Program
      Pools: float[][] }

    /// The inputs, uniform in their ranges: input i from pool i.
    member this.Inputs =
        this.Program.Inputs |> List.mapi (fun i s -> NdArray.ofFloat64 s.Shape (Array.init (Shape.size s.Shape) (fun k -> s.Lo + (s.Hi - s.Lo) * this.Pools[i][k])))

    /// Input i with `batch` examples stacked along a new axis `axis` (pool i again).
    member this.BatchedInput (i: int) (batch: int) (axis: int) =
        let s = this.Program.Inputs[i]
        let shape = Array.insertAt axis batch s.Shape
        NdArray.ofFloat64 shape (Array.init (Shape.size shape) (fun k -> s.Lo + (s.Hi - s.Lo) * this.Pools[i][k]))

    /// Standard normal arrays of `shapes`, array j from pool `first + j` (Box-Muller).
    member this.Normals (first: int) (shapes: int[] list) =
        shapes |> List.mapi (fun j shape ->
            let u = this.Pools[first + j]
            Array.init (Shape.size shape) (fun k -> sqrt (-2.0 * log u[2 * k]) * cos (2.0 * Math.PI * u[2 * k + 1])))

    member this.Display =
        let values (a: NdArray) = "[" + String.Join(", ", NdArray.toFloats a |> Array.map (fun v -> v.ToString("G6", Globalization.CultureInfo.InvariantCulture))) + "]"
        let inputs = this.Inputs |> List.mapi (fun i a -> $"  {nameOf i} = {values a}")
        String.Join("\n", [ ""; Program.toString this.Program; "inputs (to 6 digits):" ] @ inputs)

    override this.ToString() = this.Display

let private uniform = Gen.choose (0, Int32.MaxValue - 1) |> Gen.map (fun k -> (float k + 0.5) / float Int32.MaxValue)

let sampleGen : Gen<Sample> =
    gen {
        let! p = programGen
        let! pools = Gen.arrayOfLength poolCount (Gen.arrayOfLength poolLength uniform)
        return { Program = p; Pools = pools }
    }

let shrinkSample (s: Sample) : seq<Sample> = Program.shrink s.Program |> Seq.map (fun p -> { s with Program = p })

/// FsCheck's Arbitrary for Sample: register with `Arbitrary = [| typeof<Generators> |]`.
type Generators =
    static member Sample() : Arbitrary<Sample> = Arb.fromGenShrink (sampleGen, shrinkSample)
