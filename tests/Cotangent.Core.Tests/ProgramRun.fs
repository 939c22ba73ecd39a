/// Programs as values (the `Program` module): `check` runs the checker over a whole program;
/// `evalAll` and `toFunction` interpret it through jnp/lax, eagerly or under any transformation;
/// `toString` prints it; `prune` and `shrink` make smaller programs.
/// Guarantees: `shrink` yields only programs that pass `check`; `choices` names the branch each
/// kink (max, min, where, abs, rem) takes, so a test can stay where none flips.
module Cotangent.Core.Tests.ProgramRun

open System
open System.Collections.Generic
open Cotangent.Core
open Cotangent.Core.Tracing
open Cotangent.Core.Tests.ProgramCheck
module L = Cotangent.Core.LaxOps
module N = Cotangent.Core.Numpy
module A = Cotangent.Core.NumpyArrays

// ---------------------------------------------------------------------------------------------
// Interpretation through jnp (Numpy, NumpyArrays) and lax (LaxOps).

let private literal (c: float) = Concrete(NdArray.scalar F64 true c)
let private index (i: int) = Concrete(NdArray.scalar I32 false (float i))

let private apply (env: List<Value>) (node: Node) : Value =
    let operand o = match o with Ref r -> env[r] | Const c -> literal c
    match node with
    | Node.Unary(op, x) ->
        let f =
            match op with
            | UnaryOp.Sin -> N.sin
            | UnaryOp.Cos -> N.cos
            | UnaryOp.Tan -> N.tan
            | UnaryOp.Tanh -> N.tanh
            | UnaryOp.Logistic -> N.sigmoid
            | UnaryOp.Neg -> N.negative
            | UnaryOp.Abs -> N.absolute
            | UnaryOp.Exp -> N.exp
            | UnaryOp.Expm1 -> N.expm1
            | UnaryOp.Log -> N.log
            | UnaryOp.Log1p -> N.log1p
            | UnaryOp.Sqrt -> N.sqrt
            | UnaryOp.Rsqrt -> N.rsqrt
            | UnaryOp.Square -> N.square
            | UnaryOp.Cube -> fun v -> N.power v (Concrete(NdArray.scalar I32 true 3.0))
            | UnaryOp.InverseSquare -> fun v -> N.power v (Concrete(NdArray.scalar I32 true -2.0))
        f env[x]
    | Node.Binary(op, x, y) ->
        let f =
            match op with
            | BinaryOp.Add -> N.add
            | BinaryOp.Sub -> N.subtract
            | BinaryOp.Mul -> N.multiply
            | BinaryOp.Div -> N.divide
            | BinaryOp.Rem -> N.remainder
            | BinaryOp.Max -> N.maximum
            | BinaryOp.Min -> N.minimum
            | BinaryOp.Pow -> N.power
            | BinaryOp.Atan2 -> N.arctan2
        f (operand x) (operand y)
    | Node.Reduce(reducer, axes, keep, x) ->
        let f = match reducer with Reducer.Sum -> A.sum | Reducer.Mean -> A.mean | Reducer.Max -> A.max | Reducer.Min -> A.min | Reducer.Prod -> A.prod
        f (Some axes) keep env[x]
    | Node.Cumsum(axis, reverse, x) -> if reverse then L.cumsum axis true env[x] else A.cumsum axis env[x]
    | Node.Reshape(shape, x) -> A.reshape shape env[x]
    | Node.Transpose(perm, x) -> A.transpose (Some perm) env[x]
    | Node.ExpandDims(axis, x) -> A.expandDims [ axis ] env[x]
    | Node.Squeeze(axes, x) -> A.squeeze (Some axes) env[x]
    | Node.BroadcastTo(shape, x) -> N.broadcastTo (Array.ofList shape) env[x]
    | Node.Rev(dims, x) -> L.rev dims env[x]
    | Node.Slice(starts, limits, strides, x) ->
        L.slice starts limits (if List.forall ((=) 1) strides then None else Some strides) env[x]
    | Node.Index(i, x) -> A.index i env[x]
    | Node.Concatenate(axis, xs) -> A.concatenate axis (xs |> List.map (fun x -> env[x]))
    | Node.Pad(config, value, x) ->
        let v = match value with Ref r -> env[r] | Const c -> Concrete(NdArray.scalar F64 false c)
        L.pad config env[x] v
    | Node.Where(p, q, x, y) -> N.where (N.greater (operand p) (operand q)) (operand x) (operand y)
    | Node.UpdateSlice(starts, x, u) -> L.dynamicUpdateSlice env[x] env[u] (List.map index starts)
    | Node.DynamicSlice(starts, sizes, x) -> L.dynamicSlice sizes env[x] (List.map index starts)
    | Node.DotGeneral(dims, x, y) -> L.dotGeneral dims None env[x] env[y]
    | Node.Matmul(x, y) -> A.matmul env[x] env[y]

// ---------------------------------------------------------------------------------------------
// Printing.

/// JAX's variable names: a .. z, ba .. bz, ca ...
let internal nameOf (i: int) =
    let letter k = string (char (int 'a' + k))
    if i < 26 then letter i else letter (i / 26) + letter (i % 26)

let private num (c: float) = c.ToString("0.0###", Globalization.CultureInfo.InvariantCulture)
let private tuple (xs: int list) = Shape.pyTuple xs
let private specText (s: Spec) = "f64[" + String.Join(",", s.Shape) + "]"

let private nodeText (node: Node) =
    let operand o = match o with Ref r -> nameOf r | Const c -> num c
    let lower (o: obj) = (string o).ToLowerInvariant()
    match node with
    | Node.Unary(UnaryOp.Square, x) -> $"integer_pow[y=2] {nameOf x}"
    | Node.Unary(UnaryOp.Cube, x) -> $"integer_pow[y=3] {nameOf x}"
    | Node.Unary(UnaryOp.InverseSquare, x) -> $"integer_pow[y=-2] {nameOf x}"
    | Node.Unary(op, x) -> $"{lower op} {nameOf x}"
    | Node.Binary(op, x, y) -> $"{lower op} {operand x} {operand y}"
    | Node.Reduce(r, axes, keep, x) -> $"{lower r}[axes={tuple axes}, keepdims={keep}] {nameOf x}"
    | Node.Cumsum(axis, rev, x) -> $"cumsum[axis={axis}, reverse={rev}] {nameOf x}"
    | Node.Reshape(shape, x) -> $"reshape[{tuple shape}] {nameOf x}"
    | Node.Transpose(perm, x) -> $"transpose[{tuple perm}] {nameOf x}"
    | Node.ExpandDims(axis, x) -> $"expand_dims[axis={axis}] {nameOf x}"
    | Node.Squeeze(axes, x) -> $"squeeze[axes={tuple axes}] {nameOf x}"
    | Node.BroadcastTo(shape, x) -> $"broadcast_to[{tuple shape}] {nameOf x}"
    | Node.Rev(dims, x) -> $"rev[dims={tuple dims}] {nameOf x}"
    | Node.Slice(s, l, st, x) -> $"slice[start={tuple s}, limit={tuple l}, strides={tuple st}] {nameOf x}"
    | Node.Index(i, x) -> $"{nameOf x}[{i}]"
    | Node.Concatenate(axis, xs) -> $"concatenate[axis={axis}] " + String.Join(" ", xs |> List.map nameOf)
    | Node.Pad(config, v, x) ->
        let cs = config |> List.map (fun (lo, hi, i) -> $"({lo}, {hi}, {i})")
        $"""pad[({String.Join(", ", cs)})] {nameOf x} {operand v}"""
    | Node.DotGeneral(d, x, y) ->
        let l (xs: int list) = "[" + String.Join(", ", xs) + "]"
        $"dot_general[contract=({l d.LhsContract}, {l d.RhsContract}), batch=({l d.LhsBatch}, {l d.RhsBatch})] {nameOf x} {nameOf y}"
    | Node.Matmul(x, y) -> $"matmul {nameOf x} {nameOf y}"
    | Node.Where(a, b, x, y) -> $"where ({operand a} > {operand b}) {operand x} {operand y}"
    | Node.UpdateSlice(starts, x, u) -> $"dynamic_update_slice[starts={tuple starts}] {nameOf x} {nameOf u}"
    | Node.DynamicSlice(starts, sizes, x) -> $"dynamic_slice[starts={tuple starts}, sizes={tuple sizes}] {nameOf x}"

// ---------------------------------------------------------------------------------------------
// Programs as values: checked, run, printed and shrunk.

[<RequireQualifiedAccess>]
module Program =
    /// The spec of every value of `p` (inputs first), or the first reason it is not a valid program.
    let check (p: Program) : Result<Spec list, string> =
        try
            let specs = List<Spec>(p.Inputs)
            if p.Inputs.IsEmpty || p.Outputs.IsEmpty then invalid "a program needs an input and an output"
            for node in p.Nodes do specs.Add(inferNode specs node)
            if p.Outputs |> List.exists (fun o -> o < 0 || o >= specs.Count) then invalid "an output names no value"
            Ok(List.ofSeq specs)
        with InvalidProgram msg -> Error msg

    let isValid (p: Program) = match check p with Ok _ -> true | Error _ -> false

    /// Every value of `p` (inputs, then one per node) at `inputs`, under the current traces.
    let evalAll (p: Program) (inputs: Value list) : Value list =
        let env = List<Value>(inputs)
        for node in p.Nodes do env.Add(apply env node)
        List.ofSeq env

    /// The program as a function of its inputs; works eagerly and under every transformation.
    let toFunction (p: Program) : Value list -> Value list =
        fun inputs ->
            let env = evalAll p inputs
            p.Outputs |> List.map (fun o -> env[o])

    /// The branch every kink takes at concrete `values` (all of them, as evalAll gives), node by
    /// node: per
    /// element which side of max, min, where and abs wins (0 or 1; 2 on a tie, that is within
    /// `tol` relative) and the quotient rem truncates to (-1 within `tol` of an integer); per
    /// reduced group the flat position of its first extremum (-1 when another is within `tol`).
    let nodeChoices (tol: float) (p: Program) (values: NdArray list) : (Node * int list) list =
        let n = p.Inputs.Length
        let flat (v: Operand) = match v with Ref r -> values[r].Aval.Shape, NdArray.toFloats values[r] | Const c -> [||], [| c |]
        /// The flat position in an array of `shape` that numpy broadcasting reads for output position `k` of `out`.
        let source (shape: int[]) (out: int[]) (k: int) =
            let strides, outStrides = Shape.strides shape, Shape.strides out
            let offset = out.Length - shape.Length
            Array.fold2 (fun acc (i: int) (d: int) -> if d = 1 then acc else acc + ((k / outStrides[i + offset]) % out[i + offset]) * strides[i]) 0 [| 0 .. shape.Length - 1 |] shape
        /// `branch` of each pair of broadcast elements of x and y.
        let pairs (k: int) (x: Operand) (y: Operand) (branch: float -> float -> int) =
            let out = values[n + k].Aval.Shape
            let (sa, a), (sb, b) = flat x, flat y
            List.init (Shape.size out) (fun j -> branch a[source sa out j] b[source sb out j])
        /// Per output element: 0 where x > y, 1 where x < y, 2 on a tie.
        let near (u: float) (v: float) = abs (u - v) <= tol * (1.0 + abs u + abs v)
        let compare (k: int) (x: Operand) (y: Operand) = pairs k x y (fun u v -> if u = v || near u v then 2 elif u > v then 0 else 1)
        let extremes (better: float -> float -> bool) (axes: int list) (x: int) =
            let shape = values[x].Aval.Shape
            let xs = NdArray.toFloats values[x]
            let strides = Shape.strides shape
            let best = Dictionary<int, int>()
            for j in 0 .. xs.Length - 1 do
                let group = [| 0 .. shape.Length - 1 |] |> Array.fold (fun acc i -> if List.contains i axes then acc else acc * shape[i] + (j / strides[i]) % shape[i]) 0
                match best.TryGetValue group with
                | true, b when not (better xs[j] xs[b]) -> ()
                | _ -> best[group] <- j
            // a group whose extremum has a rival within tol could pick either under rounding
            let rivalled = HashSet<int>()
            for j in 0 .. xs.Length - 1 do
                let group = [| 0 .. shape.Length - 1 |] |> Array.fold (fun acc i -> if List.contains i axes then acc else acc * shape[i] + (j / strides[i]) % shape[i]) 0
                let b = best[group]
                if j <> b && tol > 0.0 && near xs[j] xs[b] then rivalled.Add group |> ignore
            best |> Seq.sortBy (fun kv -> kv.Key) |> Seq.map (fun kv -> if rivalled.Contains kv.Key then -1 else kv.Value) |> List.ofSeq
        p.Nodes |> List.indexed |> List.map (fun (k, node) ->
            node,
            match node with
            | Node.Binary((BinaryOp.Max | BinaryOp.Min), x, y) -> compare k x y
            | Node.Binary(BinaryOp.Rem, x, y) ->
                pairs k x y (fun u v -> let q = u / v in if tol > 0.0 && near q (Math.Round q) then -1 else int (Math.Truncate q))
            | Node.Unary(UnaryOp.Abs, x) -> compare k (Ref x) (Const 0.0)
            | Node.Where(a, b, _, _) -> compare k a b
            | Node.Reduce(Reducer.Max, axes, _, x) -> extremes (>) axes x
            | Node.Reduce(Reducer.Min, axes, _, x) -> extremes (<) axes x
            | _ -> [])

    /// nodeChoices with exact ties only, all nodes together: the same at every point of a
    /// segment means the program is smooth along it.
    let choices (p: Program) (values: NdArray list) : int list = nodeChoices 0.0 p values |> List.collect snd

    /// True when a where or a rem is within `tol` of switching at these values: the kinks whose
    /// value jumps, so evaluations that round differently (a vectorized kernel against a scalar
    /// one) may differ there by more than rounding. max, min and abs are continuous: at a
    /// near-tie either branch gives the same value to rounding.
    let nearJump (tol: float) (p: Program) (values: NdArray list) =
        nodeChoices tol p values
        |> List.exists (fun (node, cs) ->
            match node with
            | Node.Where _ | Node.Binary(BinaryOp.Rem, _, _) -> cs |> List.exists (fun c -> c = 2 || c = -1)
            | _ -> false)

    /// The program one equation a line, with the inferred shapes (and the inputs' ranges).
    let toString (p: Program) =
        let specs = match check p with Ok s -> Some s | Error _ -> None
        let shapeOf (i: int) = match specs with Some s -> specText s[i] | None -> "?"
        let n = p.Inputs.Length
        let ins = p.Inputs |> List.mapi (fun i s -> $"{nameOf i}:{specText s} in [{num s.Lo}, {num s.Hi}]")
        let lines = p.Nodes |> List.mapi (fun k node -> $"    {nameOf (n + k)}:{shapeOf (n + k)} = {nodeText node}")
        let outs = String.Join(", ", p.Outputs |> List.map nameOf)
        String.Join("\n", [ "{ lambda " + String.Join(" ", ins) + ". let" ] @ lines @ [ $"  in ({outs},) }}" ])

    /// Removes the nodes no output depends on and renumbers the rest; inputs stay.
    let prune (p: Program) : Program =
        let n = p.Inputs.Length
        let nodes = Array.ofList p.Nodes
        let live = HashSet<int>(p.Outputs)
        for k in nodes.Length - 1 .. -1 .. 0 do
            if live.Contains(n + k) then for r in refsOf nodes[k] do live.Add r |> ignore
        let kept = [ 0 .. nodes.Length - 1 ] |> List.filter (fun k -> live.Contains(n + k))
        let index = Dictionary<int, int>()
        for i in 0 .. n - 1 do index[i] <- i
        kept |> List.iteri (fun j k -> index[n + k] <- n + j)
        { p with Nodes = kept |> List.map (fun k -> mapRefs (fun r -> index[r]) nodes[k]); Outputs = p.Outputs |> List.map (fun o -> index[o]) }

    /// `p` with value `k` read as `j` everywhere after it (then pruned).
    let private bypass (k: int) (j: int) (p: Program) =
        let n = p.Inputs.Length
        let f r = if r = k then j else r
        prune { p with Nodes = p.Nodes |> List.mapi (fun i node -> if n + i > k then mapRefs f node else node); Outputs = List.map f p.Outputs }

    /// `p` with its values renumbered by `f` and inputs replaced.
    let private renumber (f: int -> int) (inputs: Spec list) (p: Program) =
        { Inputs = inputs; Nodes = List.map (mapRefs f) p.Nodes; Outputs = List.map f p.Outputs }

    /// Smaller valid programs, smallest steps first: fewer outputs; a node bypassed (its uses
    /// read an earlier value of its shape) or cut off (replaced by a new input); an unused input
    /// dropped; an input dimension made 1, one smaller, or removed.
    let shrink (p: Program) : seq<Program> =
        let n = p.Inputs.Length
        let specs = match check p with Ok s -> Array.ofList s | Error _ -> [||]
        let used = HashSet<int>(p.Outputs @ List.collect refsOf p.Nodes)
        seq {
            if p.Outputs.Length > 1 then
                for o in p.Outputs -> prune { p with Outputs = [ o ] }
            if specs.Length > 0 then
                for k in specs.Length - 1 .. -1 .. n do
                    let node = p.Nodes[k - n]
                    let args = refsOf node |> List.filter (fun r -> specs[r].Shape = specs[k].Shape)
                    let others = [ 0 .. k - 1 ] |> List.filter (fun r -> specs[r].Shape = specs[k].Shape && not (List.contains r args))
                    for j in List.distinct args @ others -> bypass k j p
                    if n < 3 then
                        // value k becomes a new last input: inputs keep their numbers, nodes move up by one
                        let input = { specs[k] with Lo = (if specs[k].Lo >= 0.25 then 0.5 else -1.0); Hi = (if specs[k].Lo >= 0.25 then 1.5 else 1.0) }
                        let cut = renumber (fun r -> if r = k then n elif r >= n then r + 1 else r) (p.Inputs @ [ input ]) p
                        yield prune cut
            for i in 0 .. n - 1 do
                if n > 1 && not (used.Contains i) then
                    yield renumber (fun r -> if r > i then r - 1 else r) (List.removeAt i p.Inputs) p
            for i in 0 .. n - 1 do
                let s = p.Inputs[i]
                let resized (shape: int[]) = { p with Inputs = List.updateAt i { s with Shape = shape } p.Inputs }
                if s.Shape.Length > 0 then yield resized [||]
                for d in 0 .. s.Shape.Length - 1 do
                    if s.Shape[d] > 1 then
                        yield resized (Array.updateAt d 1 s.Shape)
                        if s.Shape[d] > 2 then yield resized (Array.updateAt d (s.Shape[d] - 1) s.Shape)
                    if s.Shape[d] = 1 then yield resized (Array.removeAt d s.Shape)
        }
        |> Seq.filter isValid
