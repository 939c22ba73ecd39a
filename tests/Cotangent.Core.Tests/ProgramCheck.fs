/// Random programs as data, and their checker: `Program`, a small SSA DAG (`Node`) of float64
/// jnp/lax operations over 1-3 inputs given as `Spec`s, and `inferNode`, which gives a node's result
/// spec (shape as jnp/lax infer it, element bounds by interval arithmetic) or raises InvalidProgram.
/// Guarantees: a node checks only if its shapes agree, its result is small and bounded and every
/// op stays in its safe domain (listed at `inferNode`). Nothing here knows about autodiff.
module Cotangent.Core.Tests.ProgramCheck

open System
open System.Collections.Generic
open Cotangent.Core
module Lax = Cotangent.Core.Dialects.Lax

// ---------------------------------------------------------------------------------------------
// Programs.

/// Square, Cube and InverseSquare are integer_pow 2, 3 and -2.
[<RequireQualifiedAccess>]
type UnaryOp = Sin | Cos | Tan | Tanh | Logistic | Neg | Abs | Exp | Expm1 | Log | Log1p | Sqrt | Rsqrt | Square | Cube | InverseSquare

[<RequireQualifiedAccess>]
type BinaryOp = Add | Sub | Mul | Div | Rem | Max | Min | Pow | Atan2

[<RequireQualifiedAccess>]
type Reducer = Sum | Mean | Max | Min | Prod

/// A value of the program (inputs first, then one per node, numbered from 0) or a literal.
type Operand =
    | Ref of int
    | Const of float

/// One SSA node; its result is the program's next value. Axes are non-negative.
[<RequireQualifiedAccess>]
type Node =
    | Unary of op: UnaryOp * x: int
    /// numpy broadcasting; at least one operand is a Ref
    | Binary of op: BinaryOp * x: Operand * y: Operand
    | Reduce of reducer: Reducer * axes: int list * keepDims: bool * x: int
    | Cumsum of axis: int * reverse: bool * x: int
    | Reshape of shape: int list * x: int
    | Transpose of perm: int list * x: int
    | ExpandDims of axis: int * x: int
    | Squeeze of axes: int list * x: int
    | BroadcastTo of shape: int list * x: int
    | Rev of dims: int list * x: int
    | Slice of starts: int list * limits: int list * strides: int list * x: int
    /// x[i] along the leading axis
    | Index of i: int * x: int
    | Concatenate of axis: int * xs: int list
    /// the padding value is a literal or a rank-0 value
    | Pad of config: (int * int * int) list * value: Operand * x: int
    /// jnp.where(p > q, x, y), all four broadcast; p or q and x or y are Refs
    | Where of p: Operand * q: Operand * x: Operand * y: Operand
    /// lax.dynamic_slice with literal start indices, clamped into x as lax clamps them
    | DynamicSlice of starts: int list * sizes: int list * x: int
    /// lax.dynamic_update_slice with literal start indices, clamped likewise
    | UpdateSlice of starts: int list * x: int * update: int
    | DotGeneral of dims: Lax.DotDims * x: int * y: int
    /// numpy.matmul, batch dimensions broadcast
    | Matmul of x: int * y: int

/// What the checker knows of a value: its shape and bounds on its elements.
type Spec = { Shape: int[]; Lo: float; Hi: float }

/// Inputs are float64 arrays with elements drawn uniformly from [Lo, Hi].
type Program = { Inputs: Spec list; Nodes: Node list; Outputs: int list }

let internal refsOf (node: Node) : int list =
    let operand o = match o with Ref r -> [ r ] | Const _ -> []
    match node with
    | Node.Binary(_, x, y) -> operand x @ operand y
    | Node.Pad(_, v, x) -> x :: operand v
    | Node.Where(p, q, x, y) -> List.collect operand [ p; q; x; y ]
    | Node.UpdateSlice(_, x, u) -> [ x; u ]
    | Node.DynamicSlice(_, _, x) -> [ x ]
    | Node.Concatenate(_, xs) -> xs
    | Node.DotGeneral(_, x, y) | Node.Matmul(x, y) -> [ x; y ]
    | Node.Unary(_, x) | Node.Reduce(_, _, _, x) | Node.Cumsum(_, _, x) | Node.Reshape(_, x) | Node.Transpose(_, x)
    | Node.ExpandDims(_, x) | Node.Squeeze(_, x) | Node.BroadcastTo(_, x) | Node.Rev(_, x) | Node.Slice(_, _, _, x)
    | Node.Index(_, x) -> [ x ]

let internal mapRefs (f: int -> int) (node: Node) : Node =
    let operand o = match o with Ref r -> Ref(f r) | Const _ -> o
    match node with
    | Node.Unary(op, x) -> Node.Unary(op, f x)
    | Node.Binary(op, x, y) -> Node.Binary(op, operand x, operand y)
    | Node.Reduce(r, axes, keep, x) -> Node.Reduce(r, axes, keep, f x)
    | Node.Cumsum(axis, rev, x) -> Node.Cumsum(axis, rev, f x)
    | Node.Reshape(shape, x) -> Node.Reshape(shape, f x)
    | Node.Transpose(perm, x) -> Node.Transpose(perm, f x)
    | Node.ExpandDims(axis, x) -> Node.ExpandDims(axis, f x)
    | Node.Squeeze(axes, x) -> Node.Squeeze(axes, f x)
    | Node.BroadcastTo(shape, x) -> Node.BroadcastTo(shape, f x)
    | Node.Rev(dims, x) -> Node.Rev(dims, f x)
    | Node.Slice(s, l, st, x) -> Node.Slice(s, l, st, f x)
    | Node.Index(i, x) -> Node.Index(i, f x)
    | Node.Concatenate(axis, xs) -> Node.Concatenate(axis, List.map f xs)
    | Node.Pad(config, v, x) -> Node.Pad(config, operand v, f x)
    | Node.Where(p, q, x, y) -> Node.Where(operand p, operand q, operand x, operand y)
    | Node.UpdateSlice(starts, x, u) -> Node.UpdateSlice(starts, f x, f u)
    | Node.DynamicSlice(starts, sizes, x) -> Node.DynamicSlice(starts, sizes, f x)
    | Node.DotGeneral(dims, x, y) -> Node.DotGeneral(dims, f x, f y)
    | Node.Matmul(x, y) -> Node.Matmul(f x, f y)

// ---------------------------------------------------------------------------------------------
// Checking: shapes as jnp/lax infer them, element bounds by interval arithmetic.

exception InvalidProgram of string

let internal invalid (msg: string) : 'a = raise (InvalidProgram msg)
let private showShape (s: int[]) = Shape.pyTuple s

let maxMagnitude = 64.0
let maxSize = 64

let internal broadcast2 (a: int[]) (b: int[]) =
    let r = max a.Length b.Length
    let pad (s: int[]) = Array.append (Array.create (r - s.Length) 1) s
    Array.map2 (fun x y -> if x = y || y = 1 then x elif x = 1 then y else invalid $"{showShape a} and {showShape b} do not broadcast") (pad a) (pad b)

let internal matmulShape (a: int[]) (b: int[]) =
    let ra, rb = a.Length, b.Length
    let need (ka: int) (kb: int) = if ka <> kb then invalid $"matmul of {showShape a} and {showShape b}: contracted sizes differ"
    match ra, rb with
    | 0, _ | _, 0 -> invalid "matmul takes no scalars"
    | 1, _ -> need a[0] b[max 0 (rb - 2)]; Array.removeAt (max 0 (rb - 2)) b
    | _, 1 -> need a[ra - 1] b[0]; a[.. ra - 2]
    | _ ->
        let r = max ra rb
        let pad (s: int[]) = Array.append (Array.create (r - s.Length) 1) s
        let a, b = pad a, pad b
        need a[r - 1] b[r - 2]
        Array.append (broadcast2 a[.. r - 3] b[.. r - 3]) [| a[r - 2]; b[r - 1] |]

let private mulI (a0: float, a1: float) (b0: float, b1: float) =
    let ps = [ a0 * b0; a0 * b1; a1 * b0; a1 * b1 ]
    List.min ps, List.max ps

let private distinctIn (rank: int) (axes: int list) =
    List.distinct axes = axes && axes |> List.forall (fun a -> a >= 0 && a < rank)

/// The spec of a node's result, or InvalidProgram. A result has rank <= 3, dims <= 8, 1 to 64
/// elements, and lies in [-64, 64] for inputs in their ranges (interval analysis); exp and expm1
/// see arguments <= 2, tan |x| <= 1.2, log, sqrt and rsqrt x >= 0.25, log1p x >= -0.5, pow a base
/// >= 0.25 and |exponent| <= 3, atan2 x >= 0.25; div, rem and integer_pow -2 see |x| >= 0.5;
/// reduce_prod groups have at most 4 elements. The only kinks are max, min, where, abs and rem.
let inferNode (specs: IReadOnlyList<Spec>) (node: Node) : Spec =
    let get (i: int) = if i < 0 || i >= specs.Count then invalid $"reference {i} is not an earlier value" else specs[i]
    let operand o = match o with Ref r -> get r | Const c -> { Shape = [||]; Lo = c; Hi = c }
    let same (x: Spec) (shape: int[]) = { x with Shape = shape }
    let bounds (lo: float) (hi: float) (shape: int[]) = { Shape = shape; Lo = lo; Hi = hi }
    let out =
        match node with
        | Node.Unary(op, x) ->
            let x = get x
            let f g = bounds (g x.Lo) (g x.Hi) x.Shape
            match op with
            | UnaryOp.Sin | UnaryOp.Cos -> bounds -1.0 1.0 x.Shape
            | UnaryOp.Tan -> if max (abs x.Lo) (abs x.Hi) > 1.2 then invalid "tan of an argument that may exceed 1.2 in magnitude" else f tan
            | UnaryOp.Tanh -> f tanh
            | UnaryOp.Logistic -> f (fun v -> 1.0 / (1.0 + exp -v))
            | UnaryOp.Neg -> bounds -x.Hi -x.Lo x.Shape
            | UnaryOp.Abs -> bounds (if x.Lo > 0.0 then x.Lo elif x.Hi < 0.0 then -x.Hi else 0.0) (max (abs x.Lo) (abs x.Hi)) x.Shape
            | UnaryOp.Exp | UnaryOp.Expm1 when x.Hi > 2.0 -> invalid "exp of an argument that may exceed 2"
            | UnaryOp.Exp -> f exp
            | UnaryOp.Expm1 -> f (fun v -> exp v - 1.0)
            | UnaryOp.Log | UnaryOp.Sqrt | UnaryOp.Rsqrt when x.Lo < 0.25 -> invalid "log, sqrt or rsqrt of an argument that may be below 0.25"
            | UnaryOp.Log -> f log
            | UnaryOp.Sqrt -> f sqrt
            | UnaryOp.Rsqrt -> bounds (1.0 / sqrt x.Hi) (1.0 / sqrt x.Lo) x.Shape
            | UnaryOp.Log1p -> if x.Lo < -0.5 then invalid "log1p of an argument that may be below -0.5" else f (fun v -> log (1.0 + v))
            | UnaryOp.Square -> let lo, hi = mulI (x.Lo, x.Hi) (x.Lo, x.Hi) in bounds (max lo 0.0) hi x.Shape
            | UnaryOp.Cube -> f (fun v -> v * v * v)
            | UnaryOp.InverseSquare ->
                if x.Lo < 0.5 && x.Hi > -0.5 then invalid "integer_pow -2 of an argument that may come within 0.5 of 0"
                let near, far = min (abs x.Lo) (abs x.Hi), max (abs x.Lo) (abs x.Hi)
                bounds (1.0 / (far * far)) (1.0 / (near * near)) x.Shape
        | Node.Binary(op, x, y) ->
            if (match x, y with Const _, Const _ -> true | _ -> false) then invalid "a binary op of two literals"
            let a, b = operand x, operand y
            let shape = broadcast2 a.Shape b.Shape
            match op with
            | BinaryOp.Add -> bounds (a.Lo + b.Lo) (a.Hi + b.Hi) shape
            | BinaryOp.Sub -> bounds (a.Lo - b.Hi) (a.Hi - b.Lo) shape
            | BinaryOp.Mul -> let lo, hi = mulI (a.Lo, a.Hi) (b.Lo, b.Hi) in bounds lo hi shape
            | BinaryOp.Div ->
                if b.Lo < 0.5 && b.Hi > -0.5 then invalid "a divisor that may come within 0.5 of 0"
                let lo, hi = mulI (a.Lo, a.Hi) (1.0 / b.Hi, 1.0 / b.Lo) in bounds lo hi shape
            | BinaryOp.Rem ->
                // x - y trunc(x / y): the sign of x, smaller in magnitude than both
                if b.Lo < 0.5 && b.Hi > -0.5 then invalid "a divisor that may come within 0.5 of 0"
                let m = min (max (abs a.Lo) (abs a.Hi)) (max (abs b.Lo) (abs b.Hi))
                bounds (if a.Lo >= 0.0 then 0.0 else -m) (if a.Hi <= 0.0 then 0.0 else m) shape
            | BinaryOp.Max -> bounds (max a.Lo b.Lo) (max a.Hi b.Hi) shape
            | BinaryOp.Min -> bounds (min a.Lo b.Lo) (min a.Hi b.Hi) shape
            | BinaryOp.Pow ->
                // monotone in each argument for a positive base: the extremes are at the corners
                if a.Lo < 0.25 || max (abs b.Lo) (abs b.Hi) > 3.0 then invalid "pow needs a base >= 0.25 and an exponent within 3 of 0"
                let corners = [ for u in [ a.Lo; a.Hi ] do for v in [ b.Lo; b.Hi ] -> Math.Pow(u, v) ]
                bounds (List.min corners) (List.max corners) shape
            | BinaryOp.Atan2 ->
                // atan2(y, x) is smooth away from x <= 0
                if b.Lo < 0.25 then invalid "atan2 needs x >= 0.25" else bounds (-Math.PI / 2.0) (Math.PI / 2.0) shape
        | Node.Reduce(reducer, axes, keep, x) ->
            let x = get x
            if not (distinctIn x.Shape.Length axes && List.sort axes = axes) then invalid "reduction axes must be sorted, distinct and in range"
            let n = axes |> List.fold (fun acc a -> acc * x.Shape[a]) 1
            let shape =
                x.Shape |> Array.mapi (fun i d -> if List.contains i axes then (if keep then Some 1 else None) else Some d) |> Array.choose id
            match reducer with
            | Reducer.Sum -> bounds (float n * x.Lo) (float n * x.Hi) shape
            | Reducer.Mean | Reducer.Max | Reducer.Min -> same x shape
            | Reducer.Prod ->
                if n > 4 then invalid "reduce_prod over more than 4 elements"
                let lo, hi = List.fold (fun acc _ -> mulI acc (x.Lo, x.Hi)) (1.0, 1.0) [ 1..n ]
                bounds lo hi shape
        | Node.Cumsum(axis, _, x) ->
            let x = get x
            if axis < 0 || axis >= x.Shape.Length then invalid "cumsum axis out of range"
            let n = float x.Shape[axis]
            bounds (min x.Lo (n * x.Lo)) (max x.Hi (n * x.Hi)) x.Shape
        | Node.Reshape(shape, x) ->
            let x = get x
            if List.fold (*) 1 shape <> Shape.size x.Shape then invalid "reshape changes the size"
            same x (Array.ofList shape)
        | Node.Transpose(perm, x) ->
            let x = get x
            if List.sort perm <> [ 0 .. x.Shape.Length - 1 ] then invalid "not a permutation"
            same x (perm |> List.map (fun p -> x.Shape[p]) |> Array.ofList)
        | Node.ExpandDims(axis, x) ->
            let x = get x
            if axis < 0 || axis > x.Shape.Length then invalid "expand_dims axis out of range"
            same x (Array.insertAt axis 1 x.Shape)
        | Node.Squeeze(axes, x) ->
            let x = get x
            if not (distinctIn x.Shape.Length axes) || axes |> List.exists (fun a -> x.Shape[a] <> 1) then invalid "squeeze of a dimension that is not 1"
            same x (x.Shape |> Array.indexed |> Array.filter (fun (i, _) -> not (List.contains i axes)) |> Array.map snd)
        | Node.BroadcastTo(shape, x) ->
            let x = get x
            let target = Array.ofList shape
            if target.Length < x.Shape.Length || broadcast2 x.Shape target <> target then invalid "broadcast_to an incompatible shape"
            same x target
        | Node.Rev(dims, x) ->
            let x = get x
            if not (distinctIn x.Shape.Length dims) then invalid "rev dimensions must be distinct and in range"
            x
        | Node.Slice(starts, limits, strides, x) ->
            let x = get x
            let r = x.Shape.Length
            if starts.Length <> r || limits.Length <> r || strides.Length <> r then invalid "slice needs one entry per dimension"
            List.init r (fun i ->
                let s, l, st = starts[i], limits[i], strides[i]
                if s < 0 || l > x.Shape[i] || s >= l || st < 1 then invalid "slice bounds out of range"
                (l - s + st - 1) / st)
            |> Array.ofList |> same x
        | Node.Index(i, x) ->
            let x = get x
            if x.Shape.Length = 0 || i < 0 || i >= x.Shape[0] then invalid "index out of range"
            same x x.Shape[1..]
        | Node.Concatenate(axis, xs) ->
            let parts = List.map get xs
            match parts with
            | [] -> invalid "concatenate of nothing"
            | first :: _ ->
                let r = first.Shape.Length
                let rest (s: int[]) = Array.removeAt axis s
                if axis < 0 || axis >= r || parts |> List.exists (fun p -> p.Shape.Length <> r || rest p.Shape <> rest first.Shape) then
                    invalid "concatenate of mismatched shapes"
                bounds (parts |> List.map (fun p -> p.Lo) |> List.min) (parts |> List.map (fun p -> p.Hi) |> List.max)
                    (Array.updateAt axis (parts |> List.sumBy (fun p -> p.Shape[axis])) first.Shape)
        | Node.Pad(config, value, x) ->
            let x, v = get x, operand value
            if v.Shape.Length <> 0 || config.Length <> x.Shape.Length then invalid "pad needs a scalar value and one config per dimension"
            let shape = config |> List.mapi (fun i (lo, hi, interior) -> if interior < 0 then invalid "negative interior padding" else lo + hi + x.Shape[i] + max 0 (x.Shape[i] - 1) * interior)
            bounds (min x.Lo v.Lo) (max x.Hi v.Hi) (Array.ofList shape)
        | Node.Where(p, q, x, y) ->
            // two literal cases would make a weak float32 result, as in jnp
            let literal o = match o with Const _ -> true | Ref _ -> false
            if (literal p && literal q) || (literal x && literal y) then invalid "where needs a value among p, q and among x, y"
            let specs = List.map operand [ p; q; x; y ]
            let a, b = specs[2], specs[3]
            bounds (min a.Lo b.Lo) (max a.Hi b.Hi) (specs |> List.map (fun s -> s.Shape) |> List.reduce broadcast2)
        | Node.DynamicSlice(starts, sizes, x) ->
            let x = get x
            if starts.Length <> x.Shape.Length || sizes.Length <> x.Shape.Length || List.exists2 (fun e d -> e < 1 || e > d) sizes (List.ofArray x.Shape) then
                invalid "dynamic_slice sizes must fit the operand"
            same x (Array.ofList sizes)
        | Node.UpdateSlice(starts, x, u) ->
            let x, u = get x, get u
            if u.Shape.Length <> x.Shape.Length || starts.Length <> x.Shape.Length || Array.exists2 (fun e d -> e > d) u.Shape x.Shape then
                invalid "dynamic_update_slice of an update that does not fit"
            bounds (min x.Lo u.Lo) (max x.Hi u.Hi) x.Shape
        | Node.DotGeneral(d, x, y) ->
            let a, b = get x, get y
            let ok (s: Spec) (contract: int list) (batch: int list) = distinctIn s.Shape.Length (contract @ batch)
            let sizes (s: Spec) (dims: int list) = dims |> List.map (fun i -> s.Shape[i])
            if not (ok a d.LhsContract d.LhsBatch && ok b d.RhsContract d.RhsBatch) || d.LhsContract.Length <> d.RhsContract.Length
               || d.LhsBatch.Length <> d.RhsBatch.Length || sizes a d.LhsContract <> sizes b d.RhsContract || sizes a d.LhsBatch <> sizes b d.RhsBatch then
                invalid "dot_general dimension numbers do not fit"
            let free (s: Spec) used = [ 0 .. s.Shape.Length - 1 ] |> List.filter (fun i -> not (List.contains i used)) |> sizes s
            let n = sizes a d.LhsContract |> List.fold (*) 1
            let lo, hi = mulI (a.Lo, a.Hi) (b.Lo, b.Hi)
            bounds (float n * lo) (float n * hi) (Array.ofList (sizes a d.LhsBatch @ free a (d.LhsContract @ d.LhsBatch) @ free b (d.RhsContract @ d.RhsBatch)))
        | Node.Matmul(x, y) ->
            let a, b = get x, get y
            let n = a.Shape[a.Shape.Length - 1]
            let lo, hi = mulI (a.Lo, a.Hi) (b.Lo, b.Hi)
            bounds (float n * lo) (float n * hi) (matmulShape a.Shape b.Shape)
    if out.Shape.Length > 3 || out.Shape |> Array.exists (fun d -> d < 1 || d > 8) || Shape.size out.Shape > maxSize then
        invalid $"result shape {showShape out.Shape} is out of bounds"
    if max (abs out.Lo) (abs out.Hi) > maxMagnitude then invalid $"result bounds [{out.Lo}, {out.Hi}] exceed {maxMagnitude}"
    out
