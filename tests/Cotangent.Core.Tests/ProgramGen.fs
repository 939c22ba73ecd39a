/// Random well-typed programs as data: a small SSA DAG of float64 jnp/lax operations over 1-3
/// inputs, with its type and range checker, an interpreter onto `Value list -> Value list`
/// (`Program.toFunction`), a printer (`Program.toString`), and an FsCheck generator with a
/// shrinker. Nothing here knows about autodiff, so any pass (AD, vmap, a compiler) can be tested
/// on the same programs.
/// Guarantees: every generated or shrunk program passes `Program.check`: shapes agree; every
/// value has rank <= 3, dims <= 8, 1 to 64 elements, and lies in [-64, 64] for inputs in their
/// ranges (interval analysis); exp and expm1 see arguments <= 2, tan |x| <= 1.2, log, sqrt and
/// rsqrt x >= 0.25, log1p x >= -0.5, pow a base >= 0.25 and |exponent| <= 3, atan2 x >= 0.25;
/// div, rem and integer_pow -2 see |x| >= 0.5; reduce_prod groups have at most 4 elements. The
/// only kinks are max, min, where, abs and rem; `Program.choices` names the branch each takes,
/// so a test can stay where none flips.
module Cotangent.Core.Tests.ProgramGen

open System
open System.Collections.Generic
open FsCheck
open FsCheck.FSharp
open Cotangent.Core
open Cotangent.Core.Tracing
module Lax = Cotangent.Core.Dialects.Lax
module L = Cotangent.Core.LaxOps
module N = Cotangent.Core.Numpy
module A = Cotangent.Core.NumpyArrays

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

let private refsOf (node: Node) : int list =
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

let private mapRefs (f: int -> int) (node: Node) : Node =
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

let private invalid (msg: string) : 'a = raise (InvalidProgram msg)
let private showShape (s: int[]) = Shape.pyTuple s

let maxMagnitude = 64.0
let maxSize = 64

let private broadcast2 (a: int[]) (b: int[]) =
    let r = max a.Length b.Length
    let pad (s: int[]) = Array.append (Array.create (r - s.Length) 1) s
    Array.map2 (fun x y -> if x = y || y = 1 then x elif x = 1 then y else invalid $"{showShape a} and {showShape b} do not broadcast") (pad a) (pad b)

let private matmulShape (a: int[]) (b: int[]) =
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

/// The spec of a node's result, or InvalidProgram.
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
let private nameOf (i: int) =
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

    /// The branch every kink takes at concrete `values` (all of them, as evalAll gives): per
    /// element which side of max, min, where and abs wins (0 or 1; 2 on an exact tie) and the
    /// quotient rem truncates to; per reduced group the flat position of its first extremum.
    /// Where this is the same at every point of a segment, the program is smooth along it.
    let choices (p: Program) (values: NdArray list) : int list =
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
        let compare (k: int) (x: Operand) (y: Operand) = pairs k x y (fun u v -> if u = v then 2 elif u > v then 0 else 1)
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
            best |> Seq.sortBy (fun kv -> kv.Key) |> Seq.map (fun kv -> kv.Value) |> List.ofSeq
        p.Nodes |> List.indexed |> List.collect (fun (k, node) ->
            match node with
            | Node.Binary((BinaryOp.Max | BinaryOp.Min), x, y) -> compare k x y
            | Node.Binary(BinaryOp.Rem, x, y) -> pairs k x y (fun u v -> int (Math.Truncate(u / v)))
            | Node.Unary(UnaryOp.Abs, x) -> compare k (Ref x) (Const 0.0)
            | Node.Where(a, b, _, _) -> compare k a b
            | Node.Reduce(Reducer.Max, axes, _, x) -> extremes (>) axes x
            | Node.Reduce(Reducer.Min, axes, _, x) -> extremes (<) axes x
            | _ -> [])

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
