/// The `fuse` pass: lax → kernel. A reduction roots an input fusion that absorbs the elementwise
/// ops feeding only it; the other elementwise ops of one space form multi-output loop fusions,
/// one per level (ops read at the same index share a level, any other read starts a new one);
/// index remaps (broadcast_in_dim, transpose, slice, rev, squeeze, expand_dims, reshape) become
/// strided views of the kernels' inputs instead of copies; a loop kernel is cut every
/// `maxKernelOps` ops (the .NET JIT leaves huge methods unoptimized). Guarantees: no op is computed in two
/// kernels (only views are shared), levels grow along every edge between kernels so placing
/// kernels in level order is a valid schedule, and the program computes what the lax program
/// computed (Kernel.eval).
module Cotangent.Core.Passes.Fuse

open System.Collections.Generic
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Dialects.Kernel

type private Role =
    | Elementwise
    | Remap
    | Reduction of Combiner * int list
    | Opaque

let private role (prim: Prim) =
    match prim with
    | Neg | Sign | Floor | Ceil | Round _ | IsFinite | Exp | Log | Log1p | Expm1 | Sin | Cos | Tan | Tanh
    | Logistic | Sqrt | Rsqrt | Abs | IntegerPow _ | Not | Pow | Add | Sub | Mul | Div | Rem | Prim.Max
    | Prim.Min | Atan2 | Eq | Ne | Lt | Le | Gt | Ge | And | Or | AddAny | SelectN | ConvertElementType _ ->
        Elementwise
    | BroadcastInDim _ | Reshape _ | Squeeze _ | ExpandDims _ | Transpose _ | Slice _ | Rev _ | StopGradient -> Remap
    | ReduceSum axes -> Reduction(Sum, axes)
    | ReduceProd axes -> Reduction(Prod, axes)
    | ReduceMax axes -> Reduction(Combiner.Max, axes)
    | ReduceMin axes -> Reduction(Combiner.Min, axes)
    | Argmax _ | Argmin _ | Cumsum _ | DotGeneral _ | DynamicSlice _ | DynamicUpdateSlice | Concatenate _ | Pad _
    | Iota _ | Pjit _ -> Opaque

/// An index map from a kernel's space to an array's multi-index: x[j] = Off[j] + Σ Coef[j][k]·s[k].
type private IndexMap = { Off: int[]; Coef: int[][]; Rank: int }

/// The map that reads an array of `shape` at every point of `space` with lax's implicit
/// broadcasting (rank 0 everywhere; size-1 dimensions pinned to 0).
let private broadcastMap (shape: int[]) (space: int[]) =
    { Off = Array.zeroCreate shape.Length
      Rank = space.Length
      Coef =
        Array.init shape.Length (fun j ->
            Array.init space.Length (fun k -> if k = j && shape[j] = space[k] then 1 else 0)) }

let private linear (shape: int[]) (m: IndexMap) : View =
    let strides = Shape.strides shape
    let n = m.Rank
    { Offset = Array.fold2 (fun acc s o -> acc + s * o) 0 strides m.Off
      Strides = List.init n (fun k -> Array.fold2 (fun acc s (c: int[]) -> acc + s * c[k]) 0 strides m.Coef) }

/// Keeps the dims of `shape` other than size-1 ones, with their positions.
let private nonUnit (shape: int[]) = shape |> Array.indexed |> Array.filter (fun (_, d) -> d <> 1)

/// The map into a remap's operand `x` given the map into its result `y`; None when the remap is
/// not an index map (a reshape that regroups dimensions).
let private through (prim: Prim) (x: int[]) (y: int[]) (m: IndexMap) : IndexMap option =
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

/// The most ops one loop kernel holds (see the cut below): the vectorizer interleaves four copies
/// of a small body, and at 64 ops the emitted method keeps its chains in registers (measured on
/// the loop JacFwd: 128 and 256 ops per kernel ran 1.2-1.8x slower).
let maxKernelOps = 64

type private Group =
    { Id: int
      Space: int[]
      Kind: FusionKind
      Root: int
      Members: HashSet<int> }

let private fuse (closed: ClosedJaxpr<Prim>) : ClosedJaxpr<Op> * int * int =
    let eqns = Array.ofList closed.Jaxpr.Eqns
    let producer = Dictionary<Var, int>()
    eqns |> Array.iteri (fun i e -> for v in e.Outs do producer[v] <- i)
    // consumers of each var by equation index; program outputs count as position eqns.Length
    let consumers = Dictionary<Var, ResizeArray<int>>()
    let addUse (v: Var) (at: int) =
        match consumers.TryGetValue v with
        | true, l -> l.Add at
        | _ -> consumers[v] <- ResizeArray [ at ]
    eqns |> Array.iteri (fun i e -> for a in e.Inputs do match a with Var v -> addUse v i | Lit _ -> ())
    for a in closed.Jaxpr.OutVars do
        match a with
        | Var v -> addUse v eqns.Length
        | Lit _ -> ()
    let usesOf v = match consumers.TryGetValue v with | true, l -> List.ofSeq l | _ -> []
    let groupOf = Dictionary<int, Group>()
    let groups = ResizeArray<Group>()
    let newGroup i space kind =
        let g = { Id = groups.Count; Space = space; Kind = kind; Root = i; Members = HashSet [ i ] }
        groups.Add g
        groupOf[i] <- g
        g
    // does eqn i read `v` at the same index as its own output (no broadcasting)?
    let sameIndex (i: int) (v: Var) (space: int[]) =
        match role eqns[i].Op with
        | Elementwise -> eqns[i].Outs.Head.Aval.Shape = space && v.Aval.Shape = space
        | Reduction _ -> v.Aval.Shape = space
        | Remap | Opaque -> false
    // Input fusions first (consumers before producers): a reduction absorbs the elementwise ops
    // that feed only it, at the same index.
    for i in eqns.Length - 1 .. -1 .. 0 do
        let e = eqns[i]
        match role e.Op with
        | Reduction(c, axes) -> newGroup i (Atom.aval e.Inputs.Head).Shape (Input(c, axes)) |> ignore
        | Elementwise ->
            let out = e.Outs.Head
            match usesOf out |> List.map (fun u -> if u < eqns.Length then groupOf.TryGetValue u else (false, Unchecked.defaultof<_>)) with
            | (true, g) :: rest when (match g.Kind with Input _ -> true | Loop -> false)
                                     && rest |> List.forall (fun (ok, h) -> ok && h.Id = g.Id)
                                     && usesOf out |> List.forall (fun u -> sameIndex u out g.Space) ->
                g.Members.Add i |> ignore
                groupOf[i] <- g
            | _ -> ()
        | Remap | Opaque -> ()
    // Levels: an elementwise op reading a same-space loop op at the same index shares its level;
    // any other read (a kernel boundary) adds one. Loop ops of one space and level form one
    // kernel; levels strictly grow across kernel boundaries, so the kernels form a DAG and
    // sorting by level is a valid order.
    let level = Array.zeroCreate eqns.Length
    let inInput = HashSet<int>(groupOf.Keys)
    let isLoopOp p = role eqns[p].Op = Elementwise && not (inInput.Contains p)
    let loopKeys = Dictionary<int[] * int, Group>(HashIdentity.Structural)
    for i in 0 .. eqns.Length - 1 do
        let e = eqns[i]
        let contrib (a: Atom) =
            match a with
            | Var v ->
                match producer.TryGetValue v with
                | true, p when isLoopOp i && isLoopOp p && sameIndex i v e.Outs.Head.Aval.Shape -> level[p]
                | true, p -> level[p] + 1
                | _ -> 0
            | Lit _ -> 0
        level[i] <- e.Inputs |> List.fold (fun acc a -> max acc (contrib a)) (if isLoopOp i then 0 else 1)
    // Sinking (consumers first): a loop op whose every reader is a loop op reading it at the same
    // index joins the earliest of their levels, so a predicate computed from an iota early lands
    // in the kernel that selects with it instead of a buffer of its own. Edges keep their order.
    for i in eqns.Length - 1 .. -1 .. 0 do
        let out = eqns[i].Outs.Head
        match usesOf out with
        | [] -> ()
        | uses when isLoopOp i && uses |> List.forall (fun u -> u < eqns.Length && isLoopOp u && sameIndex u out out.Aval.Shape) ->
            level[i] <- max level[i] (uses |> List.map (fun u -> level[u]) |> List.min)
        | _ -> ()
    for i in 0 .. eqns.Length - 1 do
        let e = eqns[i]
        if isLoopOp i then
            let key = e.Outs.Head.Aval.Shape, level[i]
            match loopKeys.TryGetValue key with
            | true, g ->
                g.Members.Add i |> ignore
                groupOf[i] <- g
            | _ -> loopKeys[key] <- newGroup i e.Outs.Head.Aval.Shape Loop
    // A loop kernel of more than `maxKernelOps` ops is cut, in program order, into kernels of that
    // size: values crossing a cut go through buffers, and the emitted methods stay small enough
    // for the .NET JIT to optimize (it compiles huge methods without optimization).
    for g in List.ofSeq groups do
        if g.Kind = Loop && g.Members.Count > maxKernelOps then
            let members = g.Members |> Seq.sort |> Array.ofSeq
            g.Members.Clear()
            for chunk in Array.chunkBySize maxKernelOps members do
                let target =
                    if g.Members.Count = 0 then g
                    else newGroup chunk[0] g.Space Loop
                for i in chunk do
                    target.Members.Add i |> ignore
                    groupOf[i] <- target
    // which vars must live in buffers: inputs of opaque ops, program outputs, and group members
    // read outside their group; remaps are materialized only when some buffer reader needs them
    let needed = HashSet<Var>()
    // Follows remaps back from `v`, read through `m`, to a buffer (and its view) or a literal.
    let rec resolve (v: Var) (m: IndexMap) : Choice<Var * View, NdArray> =
        let stop (x: Var) view =
            needed.Add x |> ignore
            Choice1Of2(x, view)
        match producer.TryGetValue v with
        | true, p when role eqns[p].Op = Remap ->
            match eqns[p].Inputs.Head with
            | Lit l -> Choice2Of2 l
            | Var x ->
                match through eqns[p].Op x.Aval.Shape v.Aval.Shape m with
                | Some mx -> resolve x mx
                // a regrouping reshape keeps row-major order: read the operand's buffer linearly
                | None -> stop x (linear v.Aval.Shape m)
        | _ -> stop v (linear v.Aval.Shape m)
    // The scalar body of a kernel over `space` computing `members` (eqn indices) and returning
    // `results`; with the (buffer, view) pairs it reads, one per body input.
    let body (space: int[]) (members: int list) (results: Atom list) =
        let env = Dictionary<Var, Var>()
        let inputs = ResizeArray<Var * View>()
        let invars = ResizeArray<Var>()
        let seen = Dictionary<struct (int64 * View), Var>(HashIdentity.Structural)
        let inputFor (v: Var) =
            match resolve v (broadcastMap v.Aval.Shape space) with
            | Choice2Of2 l -> Lit l
            | Choice1Of2(src, view) ->
                match seen.TryGetValue(struct (src.Id, view)) with
                | true, iv -> Var iv
                | _ ->
                    let iv = Var.fresh { src.Aval with Shape = [||] }
                    seen[struct (src.Id, view)] <- iv
                    inputs.Add((src, view))
                    invars.Add iv
                    Var iv
        let memberSet = HashSet members
        let atom (reader: int) (a: Atom) =
            match a with
            | Lit l -> Lit l
            | Var v ->
                match producer.TryGetValue v with
                | true, p when memberSet.Contains p && sameIndex reader v space -> Var env[v]
                | _ -> inputFor v
        let bodyEqns =
            members
            |> List.sort
            |> List.map (fun i ->
                let e = eqns[i]
                let ins = e.Inputs |> List.map (atom i)
                let outs = e.Outs |> List.map (fun v -> let b = Var.fresh { v.Aval with Shape = [||] } in env[v] <- b; b)
                { Op = e.Op; Inputs = ins; Outs = outs; Source = e.Source })
        let outs = results |> List.map (fun a -> match a with Var v when env.ContainsKey v -> Var env[v] | Var v -> inputFor v | Lit l -> Lit l)
        { ConstVars = []; InVars = List.ofSeq invars; Eqns = bodyEqns; OutVars = outs }, List.ofSeq inputs
    let mutable kernels = 0
    let makeFusion (space: int[]) kind (members: int list) (reads: Atom list) (outs: Var list) source =
        let b, inputs = body space members reads
        let name = $"fusion.{kernels}"
        kernels <- kernels + 1
        { Op = Fusion { Name = name; Kind = kind; Space = List.ofArray space; Views = List.map snd inputs; Body = b }
          Inputs = inputs |> List.map (fst >> Var)
          Outs = outs
          Source = source }
    // Opaque ops and program outputs read whole buffers.
    for e in eqns do
        if role e.Op = Opaque then
            for a in e.Inputs do match a with Var v -> needed.Add v |> ignore | Lit _ -> ()
    for a in closed.Jaxpr.OutVars do match a with Var v -> needed.Add v |> ignore | Lit _ -> ()
    let built = Dictionary<int, Eqn<Op>>()
    for g in groups do
        // outputs: members used outside the group or returned; an input fusion has its root only
        let outs =
            match g.Kind with
            | Input _ -> [ g.Root ]
            | Loop ->
                g.Members
                |> Seq.filter (fun i -> usesOf eqns[i].Outs.Head |> List.exists (fun u -> u = eqns.Length || not (g.Members.Contains u)))
                |> Seq.sort |> List.ofSeq
        let reads, members =
            match g.Kind with
            | Loop -> outs |> List.map (fun i -> Var eqns[i].Outs.Head), List.ofSeq g.Members
            | Input _ -> [ eqns[g.Root].Inputs.Head ], g.Members |> Seq.filter (fun i -> i <> g.Root) |> List.ofSeq
        built[g.Root] <- makeFusion g.Space g.Kind members reads (outs |> List.map (fun i -> eqns[i].Outs.Head)) eqns[g.Root].Source
    // Remaps whose result a buffer reader needs become copy kernels (which may need more).
    let mutable changed = true
    while changed do
        changed <- false
        for i in 0 .. eqns.Length - 1 do
            let e = eqns[i]
            if role e.Op = Remap && needed.Contains e.Outs.Head && not (built.ContainsKey i) then
                let out = e.Outs.Head
                built[i] <- makeFusion out.Aval.Shape Loop [] [ Var out ] [ out ] e.Source
                changed <- true
    // units in level order (ties by first position): kernels, opaque ops, materialized remaps
    let units =
        [ for g in groups -> g.Root, (match g.Kind with Loop -> level[Seq.head g.Members] | Input _ -> level[g.Root]), Seq.min g.Members
          for i in 0 .. eqns.Length - 1 do
              if role eqns[i].Op = Opaque || (role eqns[i].Op = Remap && built.ContainsKey i) then yield i, level[i], i ]
        |> List.sortBy (fun (_, l, first) -> l, first)
    let out = ResizeArray<Eqn<Op>>()
    for key, _, _ in units do
        match built.TryGetValue key with
        | true, k -> out.Add k
        | _ ->
            let e = eqns[key]
            out.Add { Op = Lax e.Op; Inputs = e.Inputs; Outs = e.Outs; Source = e.Source }
    let fusedOps = groups |> Seq.sumBy (fun g -> g.Members.Count)
    { Jaxpr = { ConstVars = closed.Jaxpr.ConstVars; InVars = closed.Jaxpr.InVars; Eqns = List.ofSeq out; OutVars = closed.Jaxpr.OutVars }
      Consts = closed.Consts },
    kernels,
    fusedOps

/// Runs the pass; statistics: kernels formed and lax ops fused into them.
let run (closed: ClosedJaxpr<Prim>) =
    let result, kernels, fused = fuse closed
    result, [ "num-kernels", kernels, "Number of fused kernels formed"; "num-fused-ops", fused, "Number of lax ops fused into kernels" ]
