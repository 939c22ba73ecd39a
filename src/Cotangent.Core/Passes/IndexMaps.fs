/// Index maps for `fuse`: how a kernel's iteration space reads an array through the index remaps
/// between them (broadcast_in_dim, transpose, slice, rev, and reshapes that only add or drop
/// size-1 dimensions), composed back to a strided view of the array's buffer. Takes shapes and
/// remap primitives; returns maps and views. Guarantees: a view reads, at each point of the
/// space, the element the chain of remaps would have produced there.
module Cotangent.Core.Passes.IndexMaps

open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Dialects.Kernel

/// An index map from a kernel's space to an array's multi-index: x[j] = Off[j] + Σ Coef[j][k]·s[k].
type internal IndexMap = { Off: int[]; Coef: int[][]; Rank: int }

/// The map of a scalar read in a scalar space, shared: traced loops over scalars ask it for
/// nearly every operand of every kernel.
let private scalarMap = { Off = [||]; Coef = [||]; Rank = 0 }

/// The view of a scalar, shared likewise.
let private scalarView: View = { Offset = 0; Strides = [] }

/// The map that reads an array of `shape` at every point of `space` with lax's implicit
/// broadcasting (rank 0 everywhere; size-1 dimensions pinned to 0).
let internal broadcastMap (shape: int[]) (space: int[]) =
    if shape.Length = 0 && space.Length = 0 then scalarMap
    else
        { Off = Array.zeroCreate shape.Length
          Rank = space.Length
          Coef =
            Array.init shape.Length (fun j ->
                Array.init space.Length (fun k -> if k = j && shape[j] = space[k] then 1 else 0)) }

/// The strided view of a row-major array of `shape` that `m` reads.
let internal linear (shape: int[]) (m: IndexMap) : View =
    if shape.Length = 0 && m.Rank = 0 then scalarView
    else
        let strides = Shape.strides shape
        let n = m.Rank
        { Offset = Array.fold2 (fun acc s o -> acc + s * o) 0 strides m.Off
          Strides = List.init n (fun k -> Array.fold2 (fun acc s (c: int[]) -> acc + s * c[k]) 0 strides m.Coef) }

/// Keeps the dims of `shape` other than size-1 ones, with their positions.
let internal nonUnit (shape: int[]) = shape |> Array.indexed |> Array.filter (fun (_, d) -> d <> 1)

/// The map into a remap's operand `x` given the map into its result `y`; None when the remap is
/// not an index map (a reshape that regroups dimensions).
let internal through (prim: Prim) (x: int[]) (y: int[]) (m: IndexMap) : IndexMap option =
    let n = m.Rank
    let zeroRow () = Array.zeroCreate n
    let pick (rows: (int * int[]) array) = Some { Off = Array.map fst rows; Coef = Array.map snd rows; Rank = n }
    match prim with
    | BroadcastInDim(_, bdims) ->
        let bd = Array.ofList bdims
        pick (Array.init x.Length (fun i -> if x[i] = 1 && y[bd[i]] <> 1 then 0, Array.zeroCreate n else m.Off[bd[i]], m.Coef[bd[i]]))
    | Transpose perm ->
        let inv = Array.zeroCreate x.Length
        List.iteri (fun k p -> inv[p] <- k) perm
        pick (Array.init x.Length (fun i -> m.Off[inv[i]], m.Coef[inv[i]]))
    | Slice(starts, _, strides) ->
        let st = Array.ofList (defaultArg strides (List.replicate x.Length 1))
        let s0 = Array.ofList starts
        pick (Array.init x.Length (fun i -> s0[i] + st[i] * m.Off[i], Array.map (fun c -> st[i] * c) m.Coef[i]))
    | Rev dims ->
        pick (Array.init x.Length (fun i ->
            if List.contains i dims then x[i] - 1 - m.Off[i], Array.map (fun c -> -c) m.Coef[i] else m.Off[i], m.Coef[i]))
    | StopGradient -> Some m
    | Squeeze _ | ExpandDims _ | Reshape _ ->
        // an index map exactly when only size-1 dimensions come or go
        let xs, ys = nonUnit x, nonUnit y
        if Array.map snd xs <> Array.map snd ys then None
        else
            let rows = Array.init x.Length (fun _ -> 0, zeroRow ())
            Array.iter2 (fun (i, _) (j, _) -> rows[i] <- m.Off[j], m.Coef[j]) xs ys
            pick rows
    | _ -> None
