/// The `reroll` pass (LLVM's loop reroll, on lax): finds runs of one block of equations repeated
/// back to back — what tracing a C# loop unrolls, forward and transposed — and rolls each run into
/// one `scan` whose body is the block. Takes a closed lax jaxpr; returns one computing the same
/// outputs. Guarantees: a run is rolled only when every block reads its operands the same way;
/// the pad + add_any accumulation a transposed slice leaves becomes one pad after the scan (each
/// element still receives its one addend); equations outside runs are kept as they are.
module Cotangent.Core.Passes.Reroll

open System.Collections.Generic
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Passes.PassTypes
open Cotangent.Core.Passes.RerollPlan

/// Emits the run as one scan (with the slices that stack its xs before it, and the pads of its
/// ys after), and records where each of the run's values read later went: `env` for a carry's
/// last value and accumulators, `cx.ElementOf` for values read from the stacked ys.
let private emitRun (cx: Context) (bind: Prim -> Atom list -> Var list) (resolve: Atom -> Atom) (env: VarTable<Atom>) (plan: Plan) =
    let { Start = start; Period = period; Trips = trips; Sources = sources; Roles = roles } = plan
    let at r p = cx.Eqns[start + r * period + p]
    let bind1 prim inputs = Var((bind prim inputs).Head)
    let inBody p = match roles[p] with InBody -> true | SliceXs _ | PadYs _ | Accumulate _ -> false
    // reads inside the run, to tell the values also read after it
    let reads () = Array.init period (fun p -> Array.zeroCreate<int> (at 0 p).Outs.Length)
    let localReads, carriedReads = reads (), reads ()
    for p in 0 .. period - 1 do
        for s in sources[p] do
            match s with
            | Local(q, o) -> localReads[q][o] <- localReads[q][o] + 1
            | Carried(q, o, _) -> carriedReads[q][o] <- carriedReads[q][o] + 1
            | Invariant _ | Element _ -> ()
    let readAfter r q o =
        let inside = localReads[q][o] + (if r < trips - 1 then carriedReads[q][o] else 0)
        cx.Uses[cx.OutputAt[start + r * period + q] + o] > inside
    let isCarry q o = plan.Carries |> List.exists (fun (cq, co, _) -> cq = q && co = o)
    let padded = [ for p in 0 .. period - 1 do match roles[p], sources[p] with PadYs _, [| Local(q, o); _ |] -> yield q, o | _ -> () ]
    let ys =
        [ for q in 0 .. period - 1 do
            if inBody q || (match roles[q] with SliceXs _ -> true | _ -> false) then
                for o in 0 .. (at 0 q).Outs.Length - 1 do
                    let last = if isCarry q o then trips - 2 else trips - 1
                    let mutable r = 0
                    while r <= last && not (readAfter r q o) do r <- r + 1
                    let after = r <= last
                    if after || List.contains (q, o) padded then yield q, o ]
    // the body: block 0's equations over fresh vars
    let locals = Array.init period (fun p -> (at 0 p).Outs |> List.map (fun v -> Var.fresh v.Aval) |> Array.ofList)
    let consts = [ for p in 0 .. period - 1 do if inBody p then for s in sources[p] do match s with Invariant(Var v) -> yield v | _ -> () ] |> List.distinctBy (fun v -> v.Id)
    let constIns = consts |> List.map (fun v -> v.Id, Var.fresh v.Aval) |> dict
    let carryIns = plan.Carries |> List.map (fun (q, o, _) -> (q, o), Var.fresh (locals[q][o]).Aval) |> dict
    let elements = [ for p in 0 .. period - 1 do if inBody p then for s in sources[p] do match s with Element(y, f, st) -> yield (y.Id, f, st), y | _ -> () ] |> List.distinctBy fst
    let elementIns = elements |> List.map (fun (key, y) -> key, Var.fresh { Aval.strong y.Aval with Shape = y.Aval.Shape[1..] }) |> dict
    let sliced = [ for p in 0 .. period - 1 do match roles[p] with SliceXs(x, axis, d) -> yield p, x, axis, d | _ -> () ]
    let bodyAtom (s: Source) =
        match s with
        | Local(q, o) -> Var(locals[q][o])
        | Carried(q, o, _) -> Var carryIns[(q, o)]
        | Invariant(Var v) -> Var constIns[v.Id]
        | Invariant lit -> lit
        | Element(y, f, st) -> Var elementIns[(y.Id, f, st)]
    let body =
        { ConstVars = []
          InVars =
            (consts |> List.map (fun v -> constIns[v.Id])) @ (plan.Carries |> List.map (fun (q, o, _) -> carryIns[(q, o)]))
            @ (sliced |> List.map (fun (p, _, _, _) -> locals[p][0])) @ (elements |> List.map (fun (key, _) -> elementIns[key]))
          Eqns = [ for p in 0 .. period - 1 do
                     if inBody p then
                         let e = at 0 p
                         yield { e with Inputs = sources[p] |> Array.map bodyAtom |> List.ofArray; Outs = List.ofArray locals[p] } ]
          OutVars = (plan.Carries |> List.map (fun (q, o, _) -> Var(locals[q][o]))) @ (ys |> List.map (fun (q, o) -> Var(locals[q][o]))) }
    // a run whose xs all move backwards (a transposed loop reading forward residuals) scans in
    // reverse over them as they lie: block r is step trips-1-r, and its ys land at that index
    let reverse =
        not (sliced.IsEmpty && elements.IsEmpty)
        && sliced |> List.forall (fun (_, _, _, d) -> d < 0) && elements |> List.forall (fun ((_, _, step), _) -> step < 0)
    let inBlockOrder (forward: bool) (stacked: Atom) = if forward <> reverse then stacked else bind1 (Rev [ 0 ]) [ stacked ]
    // xs: the slices' windows stacked on a new axis 0
    let stackWindows (p, x: Var, axis, d) =
        let starts, limits = match (at 0 p).Op with Slice(s, l, _) -> s, l | _ -> [], []
        let width = limits[axis] - starts[axis]
        let lo = if d > 0 then starts[axis] else starts[axis] + (trips - 1) * d
        let source = resolve (Var x)
        let whole = List.updateAt axis lo starts, List.updateAt axis (lo + trips * width) limits
        let window =
            if fst whole |> List.forall ((=) 0) && snd whole = List.ofArray x.Aval.Shape then source
            else bind1 (Slice(fst whole, snd whole, None)) [ source ]
        let shape = List.ofArray (Atom.aval window).Shape
        let split = bind1 (Reshape(List.take axis shape @ [ trips; width ] @ List.skip (axis + 1) shape)) [ window ]
        let front = if axis = 0 then split else bind1 (Transpose([ axis ] @ [ 0 .. axis - 1 ] @ [ axis + 1 .. shape.Length ])) [ split ]
        inBlockOrder (d > 0) front
    let elementXs ((_, first, step), y: Var) =
        let lo = if step > 0 then first else first - trips + 1
        let window =
            if lo = 0 && trips = y.Aval.Shape[0] then Var y
            else
                let rest = List.ofArray y.Aval.Shape[1..]
                bind1 (Slice(lo :: List.map (fun _ -> 0) rest, (lo + trips) :: rest, None)) [ Var y ]
        inBlockOrder (step > 0) window
    let operands =
        (consts |> List.map (fun v -> resolve (Var v))) @ (plan.Carries |> List.map (fun (_, _, init) -> resolve init))
        @ (sliced |> List.map stackWindows) @ (elements |> List.map elementXs)
    // the body as the rest of the pipeline will see its caller: the rolled block keeps the
    // trace's duplicates (a product computed twice) and identities (a mul by 1.0)
    let body = Simplify.cleanRegion { Jaxpr = body; Consts = [] }
    let scan = { Length = trips; Reverse = reverse; NumConsts = consts.Length; NumCarry = plan.Carries.Length; Jaxpr = body }
    let outs = bind (Scan scan) operands
    let finals, stacked = List.splitAt plan.Carries.Length outs
    List.iter2 (fun (q, o, _) final -> env[(at (trips - 1) q).Outs[o]] <- Var final) plan.Carries finals
    List.iter2 (fun (q, o) y ->
        for r in 0 .. trips - 1 do
            let v = (at r q).Outs[o]
            if readAfter r q o && not (env.ContainsKey v) then cx.ElementOf[v] <- struct (y, if reverse then trips - 1 - r else r)) ys stacked
    // each accumulator: its initial value plus the stacked values, padded into place once
    for p2 in 0 .. period - 1 do
        match roles[p2] with
        | Accumulate p ->
            match roles[p], (at 0 p).Op, sources[p], sources[p2] with
            | PadYs(axis, d, _), Pad config, [| Local(q, o); Invariant zero |], accSources ->
                let y = stacked[List.findIndex ((=) (q, o)) ys]
                // in the order the pad windows lie, which is block order when they move forwards
                let inOrder = inBlockOrder (d > 0) (Var y)
                let rank = (Atom.aval inOrder).Shape.Length - 1
                let moved = if axis = 0 then inOrder else bind1 (Transpose([ 1 .. axis ] @ [ 0 ] @ [ axis + 1 .. rank ])) [ inOrder ]
                let value = locals[q][o]
                let width = value.Aval.Shape[axis]
                let shape = value.Aval.Shape |> Array.mapi (fun k n -> if k = axis then trips * width else n) |> List.ofArray
                let merged = bind1 (Reshape shape) [ moved ]
                let lo0, _, _ = config[axis]
                let lo = if d > 0 then lo0 else lo0 + (trips - 1) * d
                let total = (at 0 p).Outs.Head.Aval.Shape[axis]
                let placed = bind1 (Pad(List.updateAt axis (lo, total - lo - trips * width, 0) config)) [ merged; resolve zero ]
                let init = accSources |> Array.pick (fun s -> match s with Carried(_, _, a) -> Some(resolve a) | _ -> None)
                let sum = match accSources[0] with Carried _ -> bind1 AddAny [ init; placed ] | _ -> bind1 AddAny [ placed; init ]
                env[(at (trips - 1) p2).Outs.Head] <- sum
            | _ -> ()
        | InBody | SliceXs _ | PadYs _ -> ()

/// The `reroll` pass.
let reroll (closed: ClosedJaxpr<Prim>) : ClosedJaxpr<Prim> * Stats =
    let jaxpr = closed.Jaxpr
    // pooled: an array per equation of a 26k-equation program is on the large-object heap,
    // whose budget sets off full collections (Scratch.fs)
    use scratch = Scratch.ofList jaxpr.Eqns
    use sigs = Scratch.zeroed<int> scratch.Length
    use next = Scratch.zeroed<int> scratch.Length
    let eqns, n = scratch.Items, scratch.Length
    let mutable operands, outputs = 0, 0
    for i in 0 .. n - 1 do
        operands <- operands + eqns[i].Inputs.Length
        outputs <- outputs + eqns[i].Outs.Length
    use operandAt = Scratch.zeroed<int> n
    use producer = Scratch.zeroed<int> operands
    use producerOut = Scratch.zeroed<int> operands
    use outputAt = Scratch.zeroed<int> n
    use uses = Scratch.zeroed<int> outputs
    use generated = Scratch.zeroed<bool> outputs
    let cx =
        { Eqns = eqns; OperandAt = operandAt.Items; Producer = producer.Items; ProducerOut = producerOut.Items
          OutputAt = outputAt.Items; Uses = uses.Items; Generated = generated.Items; ElementOf = VarTable() }
    // each equation output's equation index and output position
    let definedAt = VarTable<struct (int * int)>()
    let producerOf (a: Atom) =
        match a with
        | Var v -> (match definedAt.TryGetValue v with | true, def -> def | _ -> struct (-1, 0))
        | Lit _ -> struct (-1, 0)
    let countUse (a: Atom) =
        let struct (at, out) = producerOf a
        if at >= 0 then uses[outputAt[at] + out] <- uses[outputAt[at] + out] + 1
        struct (at, out)
    let mutable operand, output = 0, 0
    for i in 0 .. n - 1 do
        let e = eqns[i]
        operandAt[i] <- operand
        outputAt[i] <- output
        let mutable fromLiterals = (Lax.regions e.Op).IsEmpty
        for a in e.Inputs do
            let struct (at, out) = countUse a
            producer[operand] <- at
            producerOut[operand] <- out
            fromLiterals <- fromLiterals && (match a with Lit _ -> true | Var _ -> at >= 0 && generated[outputAt[at] + out])
            operand <- operand + 1
        for v in e.Outs do
            definedAt[v] <- struct (i, output - outputAt[i])
            generated[output] <- fromLiterals
            output <- output + 1
        sigs[i] <- signature e
    for a in jaxpr.OutVars do countUse a |> ignore
    let last = Dictionary<int, int>()
    for i in n - 1 .. -1 .. 0 do
        next[i] <- last.GetValueOrDefault(sigs[i], -1)
        last[sigs[i]] <- i
    // the output, newest first (no array of the program's length)
    let mutable out: Eqn<Prim> list = []
    let add e = out <- e :: out
    let env = VarTable<Atom>()
    let bind prim inputs =
        let outs = LaxTypes.abstractEval prim (List.map Atom.aval inputs) |> List.map Var.fresh
        add { Op = prim; Inputs = inputs; Outs = outs; Source = None }
        outs
    // a value of a rolled block read after its run: element r of its stacked ys
    let resolve (a: Atom) =
        match a with
        | Var v when env.ContainsKey v -> env[v]
        | Var v when cx.ElementOf.ContainsKey v ->
            let struct (y, r) = cx.ElementOf[v]
            let rest = List.ofArray v.Aval.Shape
            let row = bind (Slice(r :: List.map (fun _ -> 0) rest, (r + 1) :: rest, None)) [ Var y ]
            let value = Var((bind (Reshape rest) [ Var row.Head ]).Head)
            env[v] <- value
            value
        | Var _ | Lit _ -> a
    let budget = 64 * n + 100_000
    let work = ref 0
    let copy (e: Eqn<Prim>) =
        let needs = e.Inputs |> List.exists (fun a -> match a with Var v -> env.ContainsKey v || cx.ElementOf.ContainsKey v | Lit _ -> false)
        add (if needs then { e with Inputs = List.map resolve e.Inputs } else e)
    let mutable i, runs, rolled = 0, 0, 0
    while i < n do
        match (if work.Value < budget then findPlan cx sigs.Items n next.Items work i else (None, i + 1)) with
        | Some plan, _ ->
            for k in i .. plan.Start - 1 do copy eqns[k]
            emitRun cx bind resolve env plan
            i <- plan.Start + plan.Period * plan.Trips
            runs <- runs + 1
            rolled <- rolled + plan.Period * plan.Trips
        | None, resume ->
            for k in i .. resume - 1 do copy eqns[k]
            i <- resume
    let result = if runs = 0 then jaxpr else { jaxpr with OutVars = List.map resolve jaxpr.OutVars; Eqns = List.rev out }
    { closed with Jaxpr = result },
    [ stat "num-rolled" "Number of runs of repeated blocks rolled into a scan" runs
      stat "num-rolled-eqns" "Number of equations the rolled runs held" rolled ]
