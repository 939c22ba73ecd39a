/// reroll's analysis: which runs of repeated blocks a program holds, and how each block reads its
/// operands (Source) and what becomes of each of its equations (Role). Takes the equations with
/// their definitions and uses; returns a Plan per run that rolls, checked so that one scan over
/// the first block computes what every block computed (Reroll.fs builds it).
module Cotangent.Core.Passes.RerollPlan

open System.Collections.Generic
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax

/// Where one operand of the equation at one position of the block comes from, in every block.
type internal Source =
    /// output `out` of the equation at `pos` of the same block
    | Local of pos: int * out: int
    /// output `out` of the equation at `pos` of the previous block; the first block reads `init`
    | Carried of pos: int * out: int * init: Atom
    /// the same var (defined before the run) or literal in every block
    | Invariant of Atom
    /// element `first + step·r` in block r of the stacked `ys` of a run rolled before
    | Element of ys: Var * first: int * step: int

/// What becomes of the equation at one position of the block.
type internal Role =
    | InBody
    /// a slice of one invariant var whose window moves by its own width along `axis` each block:
    /// the windows, stacked, are one xs input of the scan
    | SliceXs of source: Var * axis: int * delta: int
    /// a zero pad of a block value whose window moves by the value's width along `axis`, read
    /// only by the add_any at `into`: the values, stacked, are one ys output, padded once after
    | PadYs of axis: int * delta: int * into: int
    /// acc = add_any(previous block's acc, the PadYs at `pad`): one add_any after the scan
    | Accumulate of pad: int

type internal Plan =
    { Start: int
      Period: int
      Trips: int
      Sources: Source[][]
      Roles: Role[]
      /// (position, output, init) of each carried value, in order of first reading
      Carries: (int * int * Atom) list }

type internal Context =
    { Eqns: Eqn<Prim>[]
      /// operand k of equation i is slot OperandAt[i] + k of Producer and ProducerOut: the index
      /// of the equation defining it (-1: an input, a constvar or a literal) and which output
      OperandAt: int[]
      Producer: int[]
      ProducerOut: int[]
      /// output o of equation i is slot OutputAt[i] + o of Uses and Generated: how many operands
      /// (and program outputs) read it, and whether it is computed from literals and iotas alone
      /// (one-hot bases, masks: simplify folds each step's slice of them when unrolled, so a run
      /// does not stack them as xs)
      OutputAt: int[]
      Uses: int[]
      Generated: bool[]
      /// outputs of rolled blocks read after their run: the stacked ys holding them, and where
      ElementOf: VarTable<struct (Var * int)> }

/// Runs shorter than this many blocks, or than `minEqns` equations, are not rolled.
let minTrips = 4
let minEqns = 64
/// The most bytes a run may carry from step to step. Unrolled, the steps of a large carry fuse
/// into one pass over memory; rolled, every step would read and write all of it.
let maxCarriedBytes = 4096
/// The longest block looked for, and how many candidate periods each position tries.
let private maxPeriod = 512
let private maxTries = 16

/// The same var, or literals of the same aval and bits (0.0 and -0.0 differ in an add).
let private sameAtom (a: Atom) (b: Atom) =
    let sameBits (x: NdArray) (y: NdArray) =
        let bits i (l: NdArray) = System.BitConverter.DoubleToInt64Bits(NdArray.item i l)
        let n = Aval.size x.Aval
        let mutable i = 0
        while i < n && bits i x = bits i y do i <- i + 1
        i = n
    match a, b with
    | Var x, Var y -> x.Id = y.Id
    | Lit x, Lit y -> obj.ReferenceEquals(x, y) || ((obj.ReferenceEquals(x.Aval, y.Aval) || x.Aval = y.Aval) && sameBits x y)
    | Var _, Lit _ | Lit _, Var _ -> false

/// A cheap hash of what blocks must agree on: the op's name, its arity and output types.
/// An op with a region is never part of a run (its hash is its own).
let internal signature (e: Eqn<Prim>) =
    if not (Lax.regions e.Op).IsEmpty then System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode e
    else
        // names are literals, one string object each: their identity hash is theirs
        let mutable h = System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Lax.name e.Op) * 31 + e.Inputs.Length
        for v in e.Outs do
            h <- h * 31 + v.Aval.DType.GetHashCode()
            for d in v.Aval.Shape do h <- h * 31 + d
        h

/// Some(axis, delta) when block r's list is block 0's plus r·delta at one axis.
let private moving (lists: int list[]) : struct (int * int) voption =
    let first, second = Array.ofList lists[0], Array.ofList lists[1]
    match [ for k in 0 .. first.Length - 1 do if second[k] <> first[k] then k ] with
    | [ axis ] ->
        let delta = second[axis] - first[axis]
        let fits r (l: int list) = l |> List.mapi (fun k x -> x = first[k] + (if k = axis then r * delta else 0)) |> List.forall id
        if Array.forall id (Array.mapi fits lists) then ValueSome(struct (axis, delta)) else ValueNone
    | _ -> ValueNone

let private isZero (a: NdArray) = NdArray.toFloats a |> Array.forall ((=) 0.0)

/// The plan for rolling `trips` blocks of `period` equations from `start`, when every block reads
/// its operands the same way (see Source) and differs only in the windows of Role's slices and pads.
let private classify (cx: Context) (start: int) (period: int) (trips: int) : Plan option =
    let at r p = cx.Eqns[start + r * period + p]
    let stop = start + trips * period
    let elementOf (a: Atom) =
        match a with
        | Var v -> (match cx.ElementOf.TryGetValue v with | true, e -> ValueSome e | _ -> ValueNone)
        | Lit _ -> ValueNone
    let inRun (i: int) = i >= start && i < stop
    let source p j : Source voption =
        let operand r = List.item j (at r p).Inputs
        let slot r = cx.OperandAt[start + r * period + p] + j
        let rec all r (f: int -> Atom -> bool) = r >= trips || (f r (operand r) && all (r + 1) f)
        // blocks r.. read output o of the equation at q of block r + lag (0: their own, -1: the previous)
        let rec reads r lag q o =
            r >= trips || (cx.Producer[slot r] = start + (r + lag) * period + q && cx.ProducerOut[slot r] = o && reads (r + 1) lag q o)
        let i1 = cx.Producer[slot 1]
        if inRun i1 then
            let r1, q, o = (i1 - start) / period, (i1 - start) % period, cx.ProducerOut[slot 1]
            if r1 = 1 && reads 0 0 q o then ValueSome(Local(q, o))
            elif r1 = 0 && not (inRun cx.Producer[slot 0]) && reads 1 -1 q o then ValueSome(Carried(q, o, operand 0))
            else ValueNone
        else
            let a0, a1 = operand 0, operand 1
            if all 0 (fun _ a -> sameAtom a a0) then ValueSome(Invariant a0)
            else
                match elementOf a0, elementOf a1 with
                | ValueSome(struct (ys, i0)), ValueSome(struct (ys1, i1)) when ys.Id = ys1.Id && abs (i1 - i0) = 1 ->
                    let step = i1 - i0
                    let fits r a = match elementOf a with ValueSome(struct (y, i)) -> y.Id = ys.Id && i = i0 + r * step | ValueNone -> false
                    if all 0 fits then ValueSome(Element(ys, i0, step)) else ValueNone
                | _ -> ValueNone
    let everyBlock (f: int -> bool) =
        let mutable r = 0
        while r < trips && f r do r <- r + 1
        r = trips
    // first the cheap test: an op whose params vary between blocks is a slice (of a value the
    // program computes from its inputs) or a pad, the only windows a run may move
    let varies = Array.init period (fun p -> let op0 = (at 0 p).Op in not (everyBlock (fun r -> let op = (at r p).Op in obj.ReferenceEquals(op, op0) || op = op0)))
    let movable p =
        match (at 0 p).Op, (at 0 p).Inputs with
        | Slice _, [ Var _ ] ->
            let s = cx.OperandAt[start + p]
            cx.Producer[s] < 0 || not cx.Generated[cx.OutputAt[cx.Producer[s]] + cx.ProducerOut[s]]
        | Pad _, _ -> true
        | _ -> false
    let mutable ok = Seq.forall (fun p -> not varies[p] || movable p) (seq { 0 .. period - 1 })
    let sources = Array.zeroCreate<Source[]> period
    let mutable p = 0
    while ok && p < period do
        let row = Array.zeroCreate (at 0 p).Inputs.Length
        let mutable j = 0
        while ok && j < row.Length do
            match source p j with
            | ValueSome s -> row[j] <- s
            | ValueNone -> ok <- false
            j <- j + 1
        sources[p] <- row
        p <- p + 1
    if not ok then None
    else
    let roles = Array.create period InBody
    let uses r p = cx.Uses[cx.OutputAt[start + r * period + p]]
    for p in 0 .. period - 1 do
        let op0 = (at 0 p).Op
        if ok && varies[p] then
            match op0, sources[p] with
            | Slice(_, _, strides), [| Invariant(Var x) |] when strides |> Option.forall (List.forall ((=) 1)) ->
                let starts = Array.init trips (fun r -> match (at r p).Op with Slice(s, _, _) -> s | _ -> [])
                let limits = Array.init trips (fun r -> match (at r p).Op with Slice(_, l, _) -> l | _ -> [])
                match moving starts, moving limits with
                | ValueSome(struct (axis, d)), ValueSome(struct (axis2, d2))
                    when axis = axis2 && d = d2 && abs d = limits[0][axis] - starts[0][axis] -> roles[p] <- SliceXs(x, axis, d)
                | _ -> ok <- false
            | Pad config, [| Local(q, o); Invariant(Lit zero) |] when isZero zero && config |> List.forall (fun (_, _, i) -> i = 0) ->
                let configs = Array.init trips (fun r -> match (at r p).Op with Pad c -> c | _ -> [])
                let width = (at 0 q).Outs[o].Aval.Shape
                let into =
                    seq { p + 1 .. period - 1 } |> Seq.tryFind (fun p2 ->
                        (at 0 p2).Op = AddAny
                        && (match sources[p2] with
                            | [| Carried(c, 0, _); Local(l, 0) |] | [| Local(l, 0); Carried(c, 0, _) |] -> c = p2 && l = p
                            | _ -> false))
                match moving (configs |> Array.map (List.map (fun (lo, _, _) -> lo))), moving (configs |> Array.map (List.map (fun (_, hi, _) -> hi))), into with
                | ValueSome(struct (axis, d)), ValueSome(struct (axis2, d2)), Some p2
                    when axis = axis2 && d2 = -d && abs d = width[axis]
                         && everyBlock (fun r -> uses r p = 1 && (r = trips - 1 || uses r p2 = 1)) ->
                    roles[p] <- PadYs(axis, d, p2)
                    roles[p2] <- Accumulate p
                | _ -> ok <- false
            | _ -> ok <- false
    // the body lowers to loops: no op the scan would have to run as a whole-buffer call
    for p in 0 .. period - 1 do
        if roles[p] = InBody && Fuse.isOpaque (at 0 p).Op then ok <- false
    // a body equation reads no value that leaves the body (the pads and their accumulators)
    let movedOut q = match roles[q] with PadYs _ | Accumulate _ -> true | InBody | SliceXs _ -> false
    for p in 0 .. period - 1 do
        if roles[p] = InBody then
            for s in sources[p] do
                match s with
                | Local(q, _) | Carried(q, _, _) when movedOut q -> ok <- false
                | Local _ | Carried _ | Invariant _ | Element _ -> ()
    // one carry per carried value, with one initial value
    let carries = Dictionary<struct (int * int), Atom>()
    let order = ResizeArray<int * int * Atom>()
    for p in 0 .. period - 1 do
        if roles[p] = InBody then
            for s in sources[p] do
                match s with
                | Carried(q, o, init) ->
                    match carries.TryGetValue(struct (q, o)) with
                    | true, seen -> if not (sameAtom seen init) then ok <- false
                    | _ -> carries[struct (q, o)] <- init; order.Add((q, o, init))
                | Local _ | Invariant _ | Element _ -> ()
    let carriedBytes = order |> Seq.sumBy (fun (q, o, _) -> let a = (at 0 q).Outs[o].Aval in Aval.size a * Backend.EmitScalar.elementSize a.DType)
    if not ok || carriedBytes > maxCarriedBytes then None
    else Some { Start = start; Period = period; Trips = trips; Sources = sources; Roles = roles; Carries = List.ofSeq order }

/// The run at `i`, if one rolls: candidate periods are the distances to the next equations of
/// the same signature; a run counts its blocks by signature, then classify decides (dropping a
/// first or last block that differs). Also where to look next: past a run whose blocks agree by
/// signature but not by data flow (its rotations would fail the same way). `work` bounds the
/// signature comparisons over the whole pass.
let internal findPlan (cx: Context) (sigs: int[]) (n: int) (next: int[]) (work: int ref) (i: int) : Plan option * int =
    let sameBlock a b period =
        let mutable k = 0
        while k < period && sigs[a + k] = sigs[b + k] do k <- k + 1
        work.Value <- work.Value + k + 1
        k = period
    let mutable j, tries, found, resume = next[i], 0, None, i + 1
    while found.IsNone && j > i && j - i <= maxPeriod && tries < maxTries do
        let period = j - i
        let mutable trips = 1
        while i + (trips + 1) * period <= n && sameBlock i (i + trips * period) period do trips <- trips + 1
        let fits t = t >= minTrips && t * period >= minEqns
        if fits trips then
            found <-
                [ i, trips; i + period, trips - 1; i, trips - 1 ]
                |> List.tryPick (fun (s, t) -> if fits t then classify cx s period t else None)
            resume <- max resume (i + trips * period)
        j <- next[j]
        tries <- tries + 1
    found, resume
