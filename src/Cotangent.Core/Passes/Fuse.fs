/// The `fuse` pass: lax → kernel. A reduction roots an input fusion that absorbs the elementwise
/// ops feeding only it; the other elementwise ops of one space form multi-output loop fusions,
/// one per level (ops read at the same index share a level, any other read starts a new one);
/// index remaps (broadcast_in_dim, transpose, slice, rev, squeeze, expand_dims, reshape) become
/// strided views of the kernels' inputs instead of copies (IndexMaps.fs); a loop kernel is cut every
/// `maxKernelOps` ops (the .NET JIT leaves huge methods unoptimized). Guarantees: no op is computed in two
/// kernels (only views are shared), levels grow along every edge between kernels so placing
/// kernels in level order is a valid schedule, and the program computes what the lax program
/// computed (Kernel.eval). Phases, in file order: use/def analysis, input fusions, levels and
/// sinking, loop fusions, the cut, each group's kernel, copy kernels for needed remaps, placement.
module Cotangent.Core.Passes.Fuse

open System.Collections.Generic
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Dialects.Kernel
open Cotangent.Core.Passes.IndexMaps

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
    | Iota _ | Pjit _ | Scan _ -> Opaque

// Role tests by pattern: F#'s `=` on a union goes through its generic comparer, and these run
// for every equation (and every operand) in several phases.
let private isElementwise prim = match role prim with Elementwise -> true | Remap | Reduction _ | Opaque -> false
let private isRemap prim = match role prim with Remap -> true | Elementwise | Reduction _ | Opaque -> false
/// Whether `prim` stays a kernel of its own, run as a whole-buffer call (not fused into loops).
let isOpaque prim = match role prim with Opaque -> true | Elementwise | Remap | Reduction _ -> false

/// The most ops one loop kernel over `space` holds (see the cut below). A kernel over fewer
/// elements than the parallel threshold (and at least a vector's) runs on one core, latency-bound,
/// as four interleaved vector copies of its body: 64 ops keep their chains in registers (the loop
/// JacFwd ran 1.2-1.8x slower at 128 and 256). A bigger kernel is memory-bound, where every cut
/// costs a buffer's round trip, and a scalar one gains nothing from small bodies: 256, only so
/// that the .NET JIT still optimizes the method.
let maxKernelOps (space: int[]) =
    let n = Shape.size space
    if n >= 8 && n < parallelThreshold then 64 else 256

/// Ops fused into one kernel, rooted at `Root` (the reduction of an input fusion, the first op of
/// a loop fusion): no two groups share a root or a member.
type private Group =
    { Space: int[]
      Kind: FusionKind
      Root: int
      Members: HashSet<int> }

let private group (root: int) (space: int[]) (kind: FusionKind) =
    { Space = space; Kind = kind; Root = root; Members = HashSet [ root ] }

// ---------------------------------------------------------------------------------------------
// Use/def analysis.

/// The program's equations, the one defining each var and the positions reading it; program
/// outputs count as read at position `Eqns.Length`.
type private Graph =
    { Eqns: Scratch<Eqn<Prim>>
      Producer: VarTable<int>
      Consumers: VarTable<int list> }

let private analyze (jaxpr: Jaxpr<Prim>) (eqns: Scratch<Eqn<Prim>>) : Graph =
    let producer = VarTable<int>()
    for i in 0 .. eqns.Length - 1 do
        for v in eqns[i].Outs do producer[v] <- i
    // each var's reading positions in ascending order, built back to front (read many times)
    let consumers = VarTable<int list>()
    let addUse (v: Var) (at: int) = consumers[v] <- at :: (match consumers.TryGetValue v with | true, l -> l | _ -> [])
    for a in jaxpr.OutVars do
        match a with
        | Var v -> addUse v eqns.Length
        | Lit _ -> ()
    for i in eqns.Length - 1 .. -1 .. 0 do
        for a in eqns[i].Inputs do
            match a with
            | Var v -> addUse v i
            | Lit _ -> ()
    { Eqns = eqns; Producer = producer; Consumers = consumers }

let private usesOf (graph: Graph) (v: Var) =
    match graph.Consumers.TryGetValue v with | true, l -> l | _ -> []

/// Does eqn i read `v` at the same index as its own output (no broadcasting)?
let private sameIndex (graph: Graph) (i: int) (v: Var) (space: int[]) =
    let e = graph.Eqns[i]
    match role e.Op with
    | Elementwise -> Shape.equal e.Outs.Head.Aval.Shape space && Shape.equal v.Aval.Shape space
    | Reduction _ -> Shape.equal v.Aval.Shape space
    | Remap | Opaque -> false

// ---------------------------------------------------------------------------------------------
// Grouping.

/// Input fusions, consumers before producers: a reduction absorbs the elementwise ops that feed
/// only it, at the same index.
let private inputFusions (graph: Graph) : Group list =
    let eqns = graph.Eqns
    let groups = ResizeArray<Group>()
    let groupOf = Dictionary<int, Group>()
    for i in eqns.Length - 1 .. -1 .. 0 do
        let e = eqns[i]
        match role e.Op with
        | Reduction(c, axes) ->
            let g = group i (Atom.aval e.Inputs.Head).Shape (Input(c, axes))
            groups.Add g
            groupOf[i] <- g
        | Elementwise ->
            let out = e.Outs.Head
            let uses = usesOf graph out
            // the input fusion of the first reader, when every reader is in it at the same index
            let inGroup (g: Group) (u: int) =
                u < eqns.Length && (match groupOf.TryGetValue u with | true, h -> h.Root = g.Root | _ -> false) && sameIndex graph u out g.Space
            match uses with
            | u :: _ when u < eqns.Length ->
                match groupOf.TryGetValue u with
                | true, g when List.forall (inGroup g) uses ->
                    g.Members.Add i |> ignore
                    groupOf[i] <- g
                | _ -> ()
            | _ -> ()
        | Remap | Opaque -> ()
    List.ofSeq groups

/// Levels: an elementwise op reading a same-space loop op at the same index shares its level;
/// any other read (a kernel boundary) adds one. Loop ops of one space and level form one
/// kernel; levels strictly grow across kernel boundaries, so the kernels form a DAG and
/// sorting by level is a valid order.
let private levels (graph: Graph) (isLoopOp: int -> bool) : Scratch<int> =
    let eqns = graph.Eqns
    let level = Scratch.zeroed<int> eqns.Length
    for i in 0 .. eqns.Length - 1 do
        let e = eqns[i]
        let mutable l = if isLoopOp i then 0 else 1
        for a in e.Inputs do
            match a with
            | Var v ->
                match graph.Producer.TryGetValue v with
                | true, p when isLoopOp i && isLoopOp p && sameIndex graph i v e.Outs.Head.Aval.Shape -> l <- max l level[p]
                | true, p -> l <- max l (level[p] + 1)
                | _ -> ()
            | Lit _ -> ()
        level[i] <- l
    level

/// Sinking (consumers first): a loop op whose every reader is a loop op reading it at the same
/// index joins the earliest of their levels, so a predicate computed from an iota early lands
/// in the kernel that selects with it instead of a buffer of its own. Edges keep their order.
/// In place: an op's level changes after every level it reads from was settled.
let private sink (graph: Graph) (isLoopOp: int -> bool) (level: Scratch<int>) : Scratch<int> =
    let eqns = graph.Eqns
    for i in eqns.Length - 1 .. -1 .. 0 do
        let out = eqns[i].Outs.Head
        match usesOf graph out with
        | [] -> ()
        | uses when isLoopOp i && uses |> List.forall (fun u -> u < eqns.Length && isLoopOp u && sameIndex graph u out out.Aval.Shape) ->
            level[i] <- max level[i] (uses |> List.fold (fun m u -> min m level[u]) System.Int32.MaxValue)
        | _ -> ()
    level

/// Loop fusions: the loop ops of one space and level, in order of their first op, each as its
/// space and its members in ascending order (a list: one space's thousands of scalar ops would
/// put a set's arrays on the large-object heap before the cut splits them).
let private loopFusions (graph: Graph) (isLoopOp: int -> bool) (level: Scratch<int>) : (int[] * int list) list =
    let order = ResizeArray<int[] * int>()
    let byKey = Dictionary<int[] * int, int list>(HashIdentity.Structural)
    for i in 0 .. graph.Eqns.Length - 1 do
        if isLoopOp i then
            let key = graph.Eqns[i].Outs.Head.Aval.Shape, level[i]
            match byKey.TryGetValue key with
            | true, newestFirst -> byKey[key] <- i :: newestFirst
            | _ ->
                order.Add key
                byKey[key] <- [ i ]
    [ for key in order -> fst key, List.rev byKey[key] ]

/// A loop kernel of more than `maxKernelOps` ops is cut, in program order, into kernels of at
/// most that size: values crossing a cut go through buffers, and the emitted methods stay small
/// enough for the .NET JIT to optimize (it compiles huge methods without optimization). Each cut
/// is placed, in the last half of its piece, where the fewest values cross it (a recurrence's
/// step boundary: one value). The first piece keeps the fusion's place; the others follow.
let private cut (graph: Graph) (fusions: (int[] * int list) list) : Group list =
    let pieces (space: int[], sorted: int list) =
        let most = maxKernelOps space
        let groupOf (chunk: int[]) = { Space = space; Kind = Loop; Root = chunk[0]; Members = HashSet chunk }
        if List.length sorted <= most then [ groupOf (Array.ofList sorted) ]
        else
            use members = Scratch.ofList sorted
            // the last position in the group reading each member's results (-1: none; a reader
            // outside the group is not found, and binary search says so with a negative number)
            use lastReader = Scratch.zeroed<int> members.Length
            for k in 0 .. members.Length - 1 do
                let mutable last = -1
                for o in graph.Eqns[members[k]].Outs do
                    for c in usesOf graph o do
                        last <- max last (System.Array.BinarySearch(members.Items, 0, members.Length, c))
                lastReader[k] <- last
            // the values crossing each candidate cut after `start`, counted in one sweep: member k
            // crosses every cut in (k, lastReader[k]]
            let crossing = Array.zeroCreate<int> (most + 2)
            let rec chunks (start: int) =
                if members.Length - start <= most then [ Array.sub members.Items start (members.Length - start) ]
                else
                    System.Array.Clear crossing
                    for k in start .. start + most - 1 do
                        if lastReader[k] > k then
                            crossing[k + 1 - start] <- crossing[k + 1 - start] + 1
                            let last = min lastReader[k] (start + most)
                            crossing[last + 1 - start] <- crossing[last + 1 - start] - 1
                    for d in 1 .. most do
                        crossing[d] <- crossing[d] + crossing[d - 1]
                    // the fewest crossings, the latest such cut
                    let mutable stop = start + most
                    for candidate in start + most - 1 .. -1 .. start + most / 2 do
                        if crossing[candidate - start] < crossing[stop - start] then stop <- candidate
                    Array.sub members.Items start (stop - start) :: chunks stop
            chunks 0 |> List.map groupOf
    let cuts = fusions |> List.map pieces
    List.map List.head cuts @ List.collect List.tail cuts

// ---------------------------------------------------------------------------------------------
// Kernels.

/// Follows remaps back from `v`, read through `m`, to a buffer (and its view) or a literal.
let rec private resolve (graph: Graph) (v: Var) (m: IndexMap) : Choice<Var * View, NdArray> =
    match graph.Producer.TryGetValue v with
    | true, p when isRemap graph.Eqns[p].Op ->
        match graph.Eqns[p].Inputs.Head with
        | Lit l -> Choice2Of2 l
        | Var x ->
            match through graph.Eqns[p].Op x.Aval.Shape v.Aval.Shape m with
            | Some mx -> resolve graph x mx
            // a regrouping reshape keeps row-major order: read the operand's buffer linearly
            | None -> Choice1Of2(x, linear v.Aval.Shape m)
    | _ -> Choice1Of2(v, linear v.Aval.Shape m)

/// The aval of one element of `a`.
let private scalarOf (a: Aval) = if a.Shape.Length = 0 then a else { a with Shape = [||] }

/// The scalar body of a kernel over `space` computing `members` (eqn indices) and returning
/// `results`; with the (buffer, view) pairs it reads, one per body input.
let private body (graph: Graph) (space: int[]) (members: int list) (results: Atom list) =
    let env = Dictionary<Var, Var>(members.Length)
    let inputs = ResizeArray<Var * View>()
    let invars = ResizeArray<Var>()
    let seen = Dictionary<struct (int64 * View), Var>()
    let inputFor (v: Var) =
        match resolve graph v (broadcastMap v.Aval.Shape space) with
        | Choice2Of2 l -> Lit l
        | Choice1Of2(src, view) ->
            match seen.TryGetValue(struct (src.Id, view)) with
            | true, iv -> Var iv
            | _ ->
                let iv = Var.fresh (scalarOf src.Aval)
                seen[struct (src.Id, view)] <- iv
                inputs.Add((src, view))
                invars.Add iv
                Var iv
    let memberSet = HashSet members
    let atom (reader: int) (a: Atom) =
        match a with
        | Lit l -> Lit l
        | Var v ->
            match graph.Producer.TryGetValue v with
            | true, p when memberSet.Contains p && sameIndex graph reader v space -> Var env[v]
            | _ -> inputFor v
    let bodyEqns =
        members
        |> List.sort
        |> List.map (fun i ->
            let e = graph.Eqns[i]
            let ins = e.Inputs |> List.map (atom i)
            let outs = e.Outs |> List.map (fun v -> let b = Var.fresh (scalarOf v.Aval) in env[v] <- b; b)
            { Op = e.Op; Inputs = ins; Outs = outs; Source = e.Source })
    let outs = results |> List.map (fun a -> match a with Var v when env.ContainsKey v -> Var env[v] | Var v -> inputFor v | Lit l -> Lit l)
    { ConstVars = []; InVars = List.ofSeq invars; Eqns = bodyEqns; OutVars = outs }, List.ofSeq inputs

/// A kernel.fusion eqn whose inputs are the buffers its body reads.
let private fusion (graph: Graph) (name: string) (space: int[]) kind (members: int list) (reads: Atom list) (outs: Var list) source =
    let b, inputs = body graph space members reads
    { Op = Fusion { Name = name; Kind = kind; Space = List.ofArray space; Views = List.map snd inputs; Body = b }
      Inputs = inputs |> List.map (fst >> Var)
      Outs = outs
      Source = source }

/// Each group's kernel, keyed by its root; kernels are named `fusion.N` in the order built.
let private groupKernels (graph: Graph) (groups: Group list) : Dictionary<int, Eqn<Op>> =
    let eqns = graph.Eqns
    let built = Dictionary<int, Eqn<Op>>()
    for g in groups do
        // outputs: members used outside the group or returned; an input fusion has its root only
        let outs =
            match g.Kind with
            | Input _ -> [ g.Root ]
            | Loop ->
                g.Members
                |> Seq.filter (fun i -> usesOf graph eqns[i].Outs.Head |> List.exists (fun u -> u = eqns.Length || not (g.Members.Contains u)))
                |> Seq.sort |> List.ofSeq
        let reads, members =
            match g.Kind with
            | Loop -> outs |> List.map (fun i -> Var eqns[i].Outs.Head), List.ofSeq g.Members
            | Input _ -> [ eqns[g.Root].Inputs.Head ], g.Members |> Seq.filter (fun i -> i <> g.Root) |> List.ofSeq
        built[g.Root] <- fusion graph $"fusion.{built.Count}" g.Space g.Kind members reads (outs |> List.map (fun i -> eqns[i].Outs.Head)) eqns[g.Root].Source
    built

/// Remaps whose result a buffer reader needs become copy kernels (which may need more), keyed
/// by the remap's position and added to `kernels`. Buffer readers: opaque ops and program
/// outputs, and kernels (their inputs are the buffers their views read).
let private materializeRemaps (graph: Graph) (outVars: Atom list) (kernels: Dictionary<int, Eqn<Op>>) =
    let built = Dictionary<int, Eqn<Op>>(kernels)
    let needed = VarTable<bool>()
    let need (atoms: Atom list) = for a in atoms do match a with Var v -> needed[v] <- true | Lit _ -> ()
    for i in 0 .. graph.Eqns.Length - 1 do
        if isOpaque graph.Eqns[i].Op then need graph.Eqns[i].Inputs
    need outVars
    for k in kernels.Values do need k.Inputs
    let mutable changed = true
    while changed do
        changed <- false
        for i in 0 .. graph.Eqns.Length - 1 do
            let e = graph.Eqns[i]
            if isRemap e.Op && needed.ContainsKey e.Outs.Head && not (built.ContainsKey i) then
                let out = e.Outs.Head
                let copy = fusion graph $"fusion.{built.Count}" out.Aval.Shape Loop [] [ Var out ] [ out ] e.Source
                built[i] <- copy
                need copy.Inputs
                changed <- true
    built

// ---------------------------------------------------------------------------------------------
// Placement.

/// Kernels (keyed by root), opaque ops and materialized remaps in level order, ties by first
/// position. A group's members share its root's level.
let private place (graph: Graph) (groups: Group list) (level: Scratch<int>) (built: Dictionary<int, Eqn<Op>>) : Eqn<Op> list =
    let eqns = graph.Eqns
    [ for g in groups -> g.Root, level[g.Root], Seq.min g.Members
      for i in 0 .. eqns.Length - 1 do
          if isOpaque eqns[i].Op || (isRemap eqns[i].Op && built.ContainsKey i) then yield i, level[i], i ]
    // by level, then first position (compared as ints: a tuple key is compared boxed)
    |> List.sortWith (fun (_, l1, first1) (_, l2, first2) -> if l1 <> l2 then compare l1 l2 else compare first1 first2)
    |> List.map (fun (key, _, _) ->
        match built.TryGetValue key with
        | true, k -> k
        | _ ->
            let e = eqns[key]
            { Op = Lax e.Op; Inputs = e.Inputs; Outs = e.Outs; Source = e.Source })

let private fuse (closed: ClosedJaxpr<Prim>) : ClosedJaxpr<Op> * int * int =
    use eqns = Scratch.ofList closed.Jaxpr.Eqns
    let graph = analyze closed.Jaxpr eqns
    let inputs = inputFusions graph
    let inInput = HashSet(inputs |> Seq.collect (fun g -> g.Members))
    let loopOps = Array.init eqns.Length (fun i -> isElementwise eqns[i].Op && not (inInput.Contains i))
    let isLoopOp i = loopOps[i]
    use level = levels graph isLoopOp |> sink graph isLoopOp
    let groups = inputs @ cut graph (loopFusions graph isLoopOp level)
    let built = groupKernels graph groups |> materializeRemaps graph closed.Jaxpr.OutVars
    let j = closed.Jaxpr
    { Jaxpr = { ConstVars = j.ConstVars; InVars = j.InVars; Eqns = place graph groups level built; OutVars = j.OutVars }
      Consts = closed.Consts },
    built.Count,
    groups |> List.sumBy (fun g -> g.Members.Count)

/// Runs the pass; statistics: kernels formed and lax ops fused into them.
let run (closed: ClosedJaxpr<Prim>) =
    let result, kernels, fused = fuse closed
    result, [ "num-kernels", kernels, "Number of fused kernels formed"; "num-fused-ops", fused, "Number of lax ops fused into kernels" ]
