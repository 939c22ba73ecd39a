/// The `lower-to-loops` pass: kernel → loop. Every value becomes a flat buffer; temps get a
/// memory plan (a slot is reused once its buffer is dead, and an elementwise kernel writes in
/// place over an input that dies there; reshapes and contiguous slices are views, and a
/// concatenation's computed operands are written into its blocks); each fusion becomes a loop
/// nest of loads, scalar ops and stores (reductions carry their accumulator through the innermost
/// loop when it is reduced); a scan's body is lowered as a program of its own into one loop over
/// the steps; the other lax ops become whole-buffer calls. Guarantees: no vec op.
module Cotangent.Core.Passes.LowerToLoops

open System.Collections.Generic
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Dialects.Kernel
open Cotangent.Core.Dialects.Loop
open Cotangent.Core.Dialects.Vec

let private iv () = Var.fresh (Aval.scalar I32)

/// Merges adjacent dims that every view (and the row-major output) walks contiguously and that
/// agree on being reduced, so a kernel over [1000, 1000] can run as one loop of 10^6.
let private collapse (space: int list) (views: View list) (reduced: int list) =
    let dims = ResizeArray<int * int list * bool>() // size, strides per view, reduced?
    space |> List.iteri (fun k n -> dims.Add((n, views |> List.map (fun v -> v.Strides[k]), List.contains k reduced)))
    let mutable k = dims.Count - 2
    while k >= 0 do
        let n0, s0, r0 = dims[k]
        let n1, s1, r1 = dims[k + 1]
        if r0 = r1 && List.forall2 (fun a b -> a = b * n1) s0 s1 then
            dims[k] <- (n0 * n1, s1, r0)
            dims.RemoveAt(k + 1)
        k <- k - 1
    let space = dims |> Seq.map (fun (n, _, _) -> n) |> List.ofSeq
    let views = views |> List.mapi (fun j v -> { v with Strides = dims |> Seq.map (fun (_, s, _) -> s[j]) |> List.ofSeq })
    let reduced = dims |> Seq.indexed |> Seq.choose (fun (k, (_, _, r)) -> if r then Some k else None) |> List.ofSeq
    space, views, reduced

let private addr (offset: int) (ivs: Var list) (strides: int list) =
    { Offset = offset; Terms = List.zip ivs strides |> List.filter (fun (_, s) -> s <> 0) }

/// The loop nest of one fusion, reading `ins` and writing `outs`.
let private lowerFusion (f: Fusion) (ins: Buffer list) (outs: Buffer list) : VecStmt list =
    let reducedAxes = match f.Kind with Loop -> [] | Input(_, axes) -> axes
    let space, views, reduced =
        if Shape.size (Array.ofList f.Space) = 0 then f.Space, f.Views, reducedAxes
        else collapse f.Space f.Views reducedAxes
    let rank = space.Length
    let ivs = List.init rank (fun _ -> iv ())
    let rowMajor = List.ofArray (Shape.strides (Array.ofList space))
    let keptStrides =
        // the output's row-major strides over the kept dims, 0 over the reduced ones
        let kept = space |> List.mapi (fun k n -> if List.contains k reduced then 1 else n)
        let s = Shape.strides (Array.ofList kept)
        List.init rank (fun k -> if List.contains k reduced then 0 else s[k])
    let env = Dictionary<Var, Atom>(f.Body.InVars.Length + f.Body.Eqns.Length)
    let atom a = match a with Var v -> env[v] | Lit _ -> a
    // the body at the innermost point: loads, scalar ops, then what `finish` makes of the output
    // values (collected in order: appending to a 256-op body copied it)
    let bodyAt (ivs: Var list) (finish: Atom list -> VecStmt list) : VecStmt list =
        let mutable stmts = Microsoft.FSharp.Core.CompilerServices.ListCollector<VecStmt>()
        for v, (view, b) in List.zip f.Body.InVars (List.zip views ins) do
            let dst = Var.fresh v.Aval
            env[v] <- Var dst
            stmts.Add(Load(dst, b, addr view.Offset ivs view.Strides))
        for e in f.Body.Eqns do
            let dst = Var.fresh e.Outs.Head.Aval
            env[e.Outs.Head] <- Var dst
            stmts.Add(Compute(dst, e.Op, List.map atom e.Inputs))
        stmts.AddMany(finish (List.map atom f.Body.OutVars))
        stmts.Close()
    let total = Shape.size (Array.ofList space)
    let par (k: int) = k = 0 && total >= parallelThreshold && not (List.contains 0 reduced)
    let loop (k: int) carried body yields results =
        For { Iv = ivs[k]; Lo = 0; Hi = space[k]; Step = 1; Parallel = par k; Carried = carried; Body = body; Yield = yields; Results = results }
    match f.Kind with
    | Loop ->
        let rec nest k =
            if k = rank then bodyAt ivs (List.map2 (fun (o: Buffer) v -> Store(o, addr 0 ivs rowMajor, v)) outs)
            else [ loop k [] (nest (k + 1)) [] [] ]
        if total = 0 then [] else nest 0
    | Input(c, _) ->
        let out = outs.Head
        let dtype = out.Aval.DType
        let identity = Combiner.identity c dtype
        let innerReduced = rank > 0 && List.contains (rank - 1) reduced
        let rec nest k =
            if innerReduced && k = rank - 1 then
                let acc, result = Var.fresh (Aval.scalar dtype), Var.fresh (Aval.scalar dtype)
                // made after the body's vars, as the body's last statement
                let next = ref Unchecked.defaultof<Var>
                let body =
                    bodyAt ivs (fun values ->
                        next.Value <- Var.fresh (Aval.scalar dtype)
                        [ Compute(next.Value, Combiner.binary c, [ Var acc; values.Head ]) ])
                [ loop k [ acc, Lit identity ] body [ Var next.Value ] [ result ]
                  Accum(out, addr 0 ivs keptStrides, c, Var result) ]
            elif k = rank then bodyAt ivs (fun values -> [ Accum(out, addr 0 ivs keptStrides, c, values.Head) ])
            else [ loop k [] (nest (k + 1)) [] [] ]
        Fill(out, identity) :: (if total = 0 then [] else nest 0)

/// Slots: each temp takes the lowest free slot (or its dying input's, in place).
type private Planner() =
    let free = PriorityQueue<int, int>()
    let mutable count = 0
    member _.Take() =
        match free.TryDequeue() with
        | true, s, _ -> s
        | _ ->
            count <- count + 1
            count - 1
    member _.Release(s: int) = free.Enqueue(s, s)
    member _.Count = count

/// True when `view` reads the elements of `space` in row-major order, one after the other (from
/// its offset on): size-1 dimensions may have any stride.
let private rowMajor (space: int list) (view: View) =
    List.zip3 space view.Strides (View.contiguous space).Strides |> List.forall (fun (n, s, c) -> n = 1 || s = c)

/// The operands a concatenation's producers write straight into its storage (XLA's in-place
/// concatenate): each storage root whose one reader chain ends at the concatenation, as a whole
/// (a full-size alias), mapped to the concatenation's output var and the element offset of its
/// block. Only where every block is contiguous (the dimensions before the joined one are 1).
let private concatenatedInPlace (eqns: Scratch<Eqn<Op>>) (jaxpr: Jaxpr<Op>) (aliasOf: VarTable<Var * int>) (resultOf: VarTable<Buffer>) =
    let reads = VarTable<int>()
    let read (a: Atom) = match a with Var v -> reads[v] <- 1 + (match reads.TryGetValue v with | true, n -> n | _ -> 0) | Lit _ -> ()
    for i in 0 .. eqns.Length - 1 do List.iter read eqns[i].Inputs
    List.iter read jaxpr.OutVars
    let computed = VarTable<bool>()
    for i in 0 .. eqns.Length - 1 do
        match eqns[i].Op, eqns[i].Outs with
        | Fusion _, [ o ] when aliasOf.ContainsKey o -> ()
        | _, outs -> for o in outs do computed[o] <- true
    // the root under a chain of whole, once-read aliases
    let rec wholeRoot (v: Var) =
        match aliasOf.TryGetValue v with
        | true, (src, 0) when Aval.size src.Aval = Aval.size v.Aval && reads.GetValueOrDefault(src, 0) = 1 -> wholeRoot src
        | true, _ -> None
        | _ -> Some v
    let placed = VarTable<Var * int>()
    for i in 0 .. eqns.Length - 1 do
        let e = eqns[i]
        match e.Op, e.Outs with
        | Lax(Concatenate dim), [ out ] when out.Aval.Shape |> Array.take dim |> Array.forall ((=) 1) && not (placed.ContainsKey out) ->
            let mutable offset = 0
            for a in e.Inputs do
                match a with
                | Var v when reads.GetValueOrDefault(v, 0) = 1 ->
                    match wholeRoot v with
                    | Some r when computed.ContainsKey r && not (resultOf.ContainsKey r) && not (placed.ContainsKey r) && r <> out ->
                        placed[r] <- (out, offset)
                    | _ -> ()
                | _ -> ()
                offset <- offset + Aval.size (Atom.aval a)
        | _ -> ()
    placed

/// dst[k] = src[k] for every element, split across cores when large.
let private copyLoop (src: Buffer) (dst: Buffer) : VecStmt =
    let n = Aval.size dst.Aval
    let i, x = iv (), Var.fresh (Aval.scalar dst.Aval.DType)
    let a = { Offset = 0; Terms = [ i, 1 ] }
    For { Iv = i; Lo = 0; Hi = n; Step = 1; Parallel = n >= parallelThreshold; Carried = []
          Body = [ Load(x, src, a); Store(dst, a, Var x) ]; Yield = []; Results = [] }

let rec private lower (closed: ClosedJaxpr<Op>) : VecProgram * int * int =
    let jaxpr = closed.Jaxpr
    use eqns = Scratch.ofList jaxpr.Eqns
    let mutable nextId = 0
    let make aval kind =
        let b = { Id = nextId; Aval = aval; Kind = kind }
        nextId <- nextId + 1
        b
    let buffers = VarTable<Buffer>()
    let args = jaxpr.InVars |> List.mapi (fun i v -> let b = make v.Aval (Arg i) in buffers[v] <- b; b)
    let consts = ResizeArray(List.map2 (fun (v: Var) c -> let b = make v.Aval (Const c) in buffers[v] <- b; b) jaxpr.ConstVars closed.Consts)
    // an outvar produced by an equation (first occurrence) is written straight into its result
    let results = ResizeArray<Buffer>()
    let resultOf = VarTable<Buffer>()
    let copies = ResizeArray<Atom * Buffer>()
    jaxpr.OutVars |> List.iteri (fun i a ->
        let r = make (Atom.aval a) (Result i)
        results.Add r
        match a with
        | Var v when not (resultOf.ContainsKey v) && not (buffers.ContainsKey v) -> resultOf[v] <- r
        | a -> copies.Add((a, r)))
    // a copy kernel that reads one buffer in row-major order from some offset (a reshape, a
    // broadcast that only adds unit dims, a contiguous slice) views its operand's storage instead
    // (loop.view: no copy); an alias maps to its operand and the offset into it
    let aliasOf = VarTable<Var * int>()
    let rec root (v: Var) = match aliasOf.TryGetValue v with | true, (r, _) -> root r | _ -> v
    let rec offsetOf (v: Var) = match aliasOf.TryGetValue v with | true, (r, k) -> k + offsetOf r | _ -> 0
    let stored = VarTable<bool>()
    for v in jaxpr.InVars @ jaxpr.ConstVars do stored[v] <- true
    for i in 0 .. eqns.Length - 1 do
        for v in eqns[i].Outs do stored[v] <- true
    for i in 0 .. eqns.Length - 1 do
        let e = eqns[i]
        match e.Op, e.Inputs, e.Outs with
        | Fusion({ Kind = Loop; Views = [ view ]; Body = { Eqns = []; InVars = [ x ]; OutVars = [ Var y ] } } as f), [ Var src ], [ out ]
            when x = y && stored.ContainsKey (root src) && not (resultOf.ContainsKey out) && not (resultOf.ContainsKey (root src))
                 && rowMajor f.Space view && Buffer.fitsInside src.Aval view.Offset out.Aval ->
            aliasOf[out] <- (src, view.Offset)
        | _ -> ()
    // last use of each storage root (program outputs live to the end)
    let lastUse = VarTable<int>()
    for i in 0 .. eqns.Length - 1 do
        for a in eqns[i].Inputs do match a with Var v -> lastUse[root v] <- i | Lit _ -> ()
    let placed = concatenatedInPlace eqns jaxpr aliasOf resultOf
    let planner = Planner()
    let temps = ResizeArray<Buffer>()
    let mutable inPlace = 0
    let mutable body = Microsoft.FSharp.Core.CompilerServices.ListCollector<VecStmt>()
    let bufferOf (a: Atom) =
        match a with
        | Var v -> buffers[v]
        | Lit l ->
            let b = make l.Aval (Const l)
            consts.Add b
            b
    let slotOf (b: Buffer) = match b.Kind with Temp s -> Some s | _ -> None
    // v's storage was placed as a block of the concatenation `whole`
    let isBlockOf (whole: Var) (v: Var) = match placed.TryGetValue (root v) with | true, (w, _) -> w = whole | _ -> false
    // a view `offset` elements into b's storage (into b's source when b is a view itself)
    let viewOf (b: Buffer) (offset: int) (aval: Aval) =
        let t = match b.Kind with View(source, o) -> make aval (View(source, o + offset)) | _ -> make aval (View(b, offset))
        temps.Add t
        t
    // the storage of a var: its result buffer, or a new temp slot
    let storage (v: Var) =
        match resultOf.TryGetValue v with
        | true, r -> r
        | _ ->
            let t = make v.Aval (Temp(planner.Take()))
            temps.Add t
            t
    // a placed var's block of its concatenation's storage, made when its first block is written
    // (a concatenation that is itself placed is a block of the next one)
    let rec placedStorage (v: Var) : Buffer =
        match buffers.TryGetValue v with
        | true, b -> b
        | _ ->
            let b =
                match placed.TryGetValue v with
                | true, (whole, offset) -> viewOf (placedStorage whole) offset v.Aval
                | _ -> storage v
            buffers[v] <- b
            b
    // scan: its body compiled as a program of its own (dce, cse and simplify, as the caller was,
    // then fuse and this pass) and spliced into one sequential loop over the steps. xs and ys are
    // the body's arguments and results at the step's block; the carry lives in the scan's carry
    // output, and the body's new carry is copied into it after each step (the body may read the
    // old one after writing the new). None when the body needs a whole-buffer call.
    let lowerScan (s: ScanParams) (ins: Buffer list) (outs: Buffer list) : VecStmt list option =
        let inner, innerSlots, _ = lower (fst (Fuse.run (Simplify.cleanRegion s.Jaxpr)))
        // a whole-buffer call runs only at the top level (decided before any buffer is made)
        if inner.Body |> List.exists (function Call _ | Ext _ -> true | For _ | Load _ | Compute _ | Store _ | Accum _ | Fill _ -> false) then None
        else
        let step = iv ()
        let fixedCount = s.NumConsts + s.NumCarry
        let taken = ResizeArray<int>()
        let take () = let t = planner.Take() in taken.Add t; t
        let slots = Array.init innerSlots (fun _ -> take ())
        let carriedBack = ResizeArray<VecStmt>()
        let stepped (b: Buffer) (block: int) = if s.Reverse then b, (s.Length - 1) * block, -block else b, 0, block
        // each inner buffer as an outer one, an offset into it, and its stride in the step
        let mapped = Dictionary<int, Buffer * int * int>()
        let rec map (b: Buffer) =
            match mapped.TryGetValue b.Id with
            | true, m -> m
            | _ ->
                let m =
                    match b.Kind with
                    | Arg i when i < s.NumConsts -> ins[i], 0, 0
                    | Arg i when i < fixedCount -> outs[i - s.NumConsts], 0, 0
                    | Arg i -> stepped ins[i] (Aval.size b.Aval)
                    | Result j when j < s.NumCarry ->
                        let t = make b.Aval (Temp(take ()))
                        temps.Add t
                        carriedBack.Add(copyLoop t outs[j])
                        t, 0, 0
                    | Result j -> stepped outs[j] (Aval.size b.Aval)
                    | Const c -> (let k = make b.Aval (Const c) in consts.Add k; k), 0, 0
                    | Temp slot -> (let t = make b.Aval (Temp slots[slot]) in temps.Add t; t), 0, 0
                    | View(source, offset) -> let o, off, st = map source in o, off + offset, st
                mapped[b.Id] <- m
                m
        let at (b: Buffer) (a: Addr) =
            let o, off, st = map b
            o, { Offset = a.Offset + off; Terms = if st = 0 then a.Terms else (step, st) :: a.Terms }
        let rec rewrite (stmt: VecStmt) : VecStmt =
            match stmt with
            | For l -> For { l with Body = List.map rewrite l.Body }
            | Load(dst, b, a) -> let o, a = at b a in Load(dst, o, a)
            | Store(b, a, x) -> let o, a = at b a in Store(o, a, x)
            | Accum(b, a, c, x) -> let o, a = at b a in Accum(o, a, c, x)
            | Compute _ -> stmt
            | Fill(b, v) ->
                let i = iv ()
                let o, a = at b { Offset = 0; Terms = [ i, 1 ] }
                let value = { Aval = Aval.scalar b.Aval.DType; Data = Backend.Elementwise.convert b.Aval.DType v.Data }
                For { Iv = i; Lo = 0; Hi = Aval.size b.Aval; Step = 1; Parallel = false; Carried = []
                      Body = [ Store(o, a, Lit value) ]; Yield = []; Results = [] }
            | Call _ | Ext _ -> stmt // ruled out above
        let steps = List.map rewrite inner.Body
        for t in taken do planner.Release t
        let inits = List.init s.NumCarry (fun i -> copyLoop ins[s.NumConsts + i] outs[i])
        Some(inits @ [ For { Iv = step; Lo = 0; Hi = s.Length; Step = 1; Parallel = false; Carried = []
                             Body = steps @ List.ofSeq carriedBack; Yield = []; Results = [] } ])
    for i in 0 .. eqns.Length - 1 do
        let e = eqns[i]
        let ins = e.Inputs |> List.map bufferOf
        let dying =
            e.Inputs
            |> List.choose (fun a ->
                match a with
                | Var v when lastUse[root v] = i && not (resultOf.ContainsKey (root v)) -> Some buffers[root v]
                | _ -> None)
            |> List.distinctBy (fun b -> b.Id)
        // in place: an elementwise output over an input read at the same element it writes; an
        // input read through any other view rules out its storage, aliases included (a transpose
        // of a reshape's alias must not write over the reshape's operand)
        let reusable =
            match e.Op with
            | Fusion f when f.Kind = Loop ->
                let whole = View.contiguous f.Space
                let strided =
                    HashSet<int>(List.zip f.Views e.Inputs |> List.choose (fun (view, a) ->
                        match a with
                        | Var v when view <> whole || offsetOf v <> 0 -> Some buffers[root v].Id
                        | Var _ | Lit _ -> None))
                dying |> List.filter (fun b -> not (strided.Contains b.Id))
            | _ -> []
        let reused = HashSet<int>()
        let outs =
            e.Outs |> List.filter (fun v -> not (aliasOf.ContainsKey v)) |> List.map (fun v ->
                let b =
                    match resultOf.TryGetValue v with
                    | true, r -> r
                    // a placed block, or a concatenation whose storage its operands already took
                    | _ when placed.ContainsKey v || buffers.ContainsKey v -> placedStorage v
                    | _ ->
                        let candidate =
                            reusable |> List.tryFind (fun b ->
                                b.Aval.DType = v.Aval.DType && Aval.size b.Aval = Aval.size v.Aval && not (reused.Contains b.Id) && (slotOf b).IsSome)
                        match candidate with
                        | Some b ->
                            reused.Add b.Id |> ignore
                            inPlace <- inPlace + 1
                            let t = make v.Aval b.Kind
                            temps.Add t
                            t
                        | None -> storage v
                buffers[v] <- b
                b)
        match e.Op, e.Outs with
        | Fusion _, [ out ] when aliasOf.ContainsKey out ->
            // a view of its root's storage, which stays live as long as the view is read
            buffers[out] <- viewOf buffers[root out] (offsetOf out) out.Aval
        | Lax(Concatenate _), [ out ] when e.Inputs |> List.forall (fun a -> match a with Var v -> isBlockOf out v | Lit _ -> false) -> ()
        | Fusion f, _ -> body.AddMany(lowerFusion f ins (e.Outs |> List.map (fun v -> buffers[v])))
        | Lax(Scan s), _ ->
            let outs = e.Outs |> List.map (fun v -> buffers[v])
            match lowerScan s ins outs with
            | Some stmts -> body.AddMany stmts
            | None -> body.Add(Call(Scan s, ins, outs))
        | Lax prim, _ -> body.Add(Call(prim, ins, e.Outs |> List.map (fun v -> buffers[v])))
        for b in dying do
            match slotOf b with
            | Some s when not (reused.Contains b.Id) -> planner.Release s
            | _ -> ()
        // outputs nobody reads are dead at once
        for v, b in List.zip (e.Outs |> List.filter (fun v -> not (aliasOf.ContainsKey v))) outs do
            if not (lastUse.ContainsKey v) && not (resultOf.ContainsKey v) then
                match slotOf b with
                | Some s -> planner.Release s
                | None -> ()
    // results that are inputs, consts, literals or repeated outputs are copied
    for a, r in copies do
        match a with
        | Lit l -> body.Add(Fill(r, l))
        | Var _ when Aval.size r.Aval = 0 -> ()
        | Var _ -> body.Add(copyLoop (bufferOf a) r)
    { Args = args; Consts = List.ofSeq consts; Temps = List.ofSeq temps; Results = List.ofSeq results; Body = body.Close() },
    planner.Count,
    inPlace

/// Runs the pass; statistics: buffers, slots after reuse, in-place kernels.
let run (closed: ClosedJaxpr<Op>) =
    let p, slots, inPlace = lower closed
    p,
    [ "num-temps", p.Temps.Length, "Number of temporary buffers"
      "num-slots", slots, "Number of memory slots after reuse"
      "num-in-place", inPlace, "Number of outputs written in place over a dying input" ]
