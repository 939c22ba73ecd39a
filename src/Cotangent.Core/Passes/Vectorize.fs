/// The `vectorize` pass: loop → vec. Each innermost unit-step loop over float32 or float64 whose
/// stores are contiguous (stride 1) in its induction variable, and whose loads are contiguous,
/// invariant (stride 0, splat) or strided (a gather of W loads), becomes a
/// Vector256 loop of W lanes plus a scalar tail; carried reductions become vector accumulators
/// folded horizontally (vec.reduce) into the tail's init. Loops it cannot prove vectorizable
/// stay scalar. Guarantees: same results up to the reassociation of vectorized reductions.
module Cotangent.Core.Passes.Vectorize

open System.Collections.Generic
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Dialects.Kernel
open Cotangent.Core.Dialects.Loop
open Cotangent.Core.Dialects.Vec

let private combinerOf (prim: Prim) =
    match prim with
    | Add | AddAny -> Some Sum
    | Mul -> Some Prod
    | Prim.Max -> Some Combiner.Max
    | Prim.Min -> Some Combiner.Min
    | _ -> None

/// The element type of a vectorizable loop body, if it is one.
let private laneType (l: ForLoop<VecOp>) : DType option =
    let dtypes = HashSet<DType>()
    // 32-bit integers may be loaded and compared (an iota against a splat) in an f32 loop
    let integers = HashSet<DType>()
    let mutable ok = l.Step = 1 && l.Carried.Length = l.Results.Length
    let stride a = Addr.strideOf l.Iv a
    for s in l.Body do
        match s with
        | Load(dst, _, _) when dst.Aval.DType = I32 || dst.Aval.DType = U32 -> integers.Add dst.Aval.DType |> ignore
        | Load(dst, _, _) -> dtypes.Add dst.Aval.DType |> ignore
        | Store(b, a, _) -> dtypes.Add b.Aval.DType |> ignore; ok <- ok && stride a = 1
        | Accum(b, a, _, _) -> dtypes.Add b.Aval.DType |> ignore; ok <- ok && stride a = 1
        | Compute(dst, prim, args) ->
            let operand = match args with a :: _ -> (Atom.aval a).DType | [] -> dst.Aval.DType
            // select_n's first operand is its mask: the lanes are its cases'
            let lanes = match prim, args with SelectN, _ :: c :: _ -> (Atom.aval c).DType | _ -> operand
            ok <- ok && Backend.EmitVector.canVectorize prim lanes
            if dst.Aval.DType <> Bool then dtypes.Add dst.Aval.DType |> ignore
        | For _ | Fill _ | Call _ | Ext _ -> ok <- false
    for v, _ in l.Carried do
        dtypes.Add v.Aval.DType |> ignore
    match List.ofSeq dtypes with
    | [ F32 ] when ok -> Some F32
    | [ F64 ] when ok && integers.Count = 0 -> Some F64
    | _ -> None

/// The carried values' combiners: each must be yielded as combine(acc, x).
let private reductions (l: ForLoop<VecOp>) =
    let defs = Dictionary<Var, Prim * Atom list>()
    for s in l.Body do
        match s with
        | Compute(dst, prim, args) -> defs[dst] <- (prim, args)
        | _ -> ()
    List.map2 (fun (acc: Var, _) (y: Atom) ->
        match y with
        | Var y when defs.ContainsKey y ->
            match defs[y] with
            | prim, [ Var a; _ ] when a = acc -> combinerOf prim
            | _ -> None
        | _ -> None) l.Carried l.Yield

/// Vector iterations interleaved per trip of a loop that carries no values: each copy's chain of
/// dependent ops overlaps the others' latency (LLVM's interleave count); fewer copies of a big
/// body, so that the emitted method stays within what the .NET JIT optimizes.
let private interleave (bodySize: int) = if bodySize <= 256 then 4 elif bodySize <= 512 then 2 else 1

let private vectorizeLoop (l: ForLoop<VecOp>) (t: DType) (combiners: Combiner list) : VecStmt list =
    let w = width t
    let vecAval dtype = Aval.make dtype [| w |]
    let accs = List.map2 (fun (acc: Var, _) c -> acc, c) l.Carried combiners
    let vaccs = accs |> List.map (fun (acc, _) -> acc, Var.fresh (vecAval t))
    let written = HashSet<int>(l.Body |> List.choose (fun s -> match s with Store(b, _, _) | Accum(b, _, _, _) -> Some b.Id | _ -> None))
    // One vector iteration: copy k of the body, over the lanes k·W further on, indexed by `viv`;
    // one group of statements per statement of the scalar body. Invariant loads and outside
    // scalars are splat where first read, once for all copies (`splats`), not hoisted: a broadcast
    // costs a load, while hundreds of hoisted vectors live across the loop make the .NET JIT spill.
    // An invariant load moves down to its first reader for the same reason (`pending`).
    let copy (viv: Var) (splats: Dictionary<Var, Var>) (k: int) : VecStmt list list * Dictionary<Var, Var> =
        let pending = Dictionary<Var, Buffer * Addr>()
        let subst (a: Addr) =
            { Offset = a.Offset + k * w * Addr.strideOf l.Iv a
              Terms = a.Terms |> List.map (fun (v, s) -> (if v = l.Iv then viv else v), s) }
        let vec = Dictionary<Var, Var>(splats)
        for acc, vacc in vaccs do vec[acc] <- vacc
        let vector (dst: Var) =
            let v = Var.fresh (vecAval dst.Aval.DType)
            vec[dst] <- v
            v
        let splat (dst: Var) (a: Atom) : VecStmt =
            let v = vector dst
            splats[dst] <- v
            Ext(VSplat(v, a))
        // the scalar at `addr` of `b` (invariant in the loop), loaded and splat as `dst`'s vector
        let loadSplat (group: ResizeArray<VecStmt>) (dst: Var) (b: Buffer) (addr: Addr) =
            let x = Var.fresh dst.Aval
            group.Add(Load(x, b, subst addr))
            group.Add(splat dst (Var x))
        let operand (group: ResizeArray<VecStmt>) (a: Atom) =
            match a with
            | Var v when vec.ContainsKey v -> Var vec[v]
            | Lit _ -> a
            | Var v when pending.ContainsKey v ->
                let b, addr = pending[v]
                loadSplat group v b addr
                Var vec[v]
            | Var v ->
                group.Add(splat v a)
                Var vec[v]
        let statements (s: VecStmt) : VecStmt list =
            let group = ResizeArray<VecStmt>()
            match s with
            | Load(dst, _, a) when Addr.strideOf l.Iv a = 0 && vec.ContainsKey dst -> ()
            | Load(dst, b, a) when Addr.strideOf l.Iv a = 0 && not (written.Contains b.Id) -> pending[dst] <- (b, a)
            | Load(dst, b, a) when Addr.strideOf l.Iv a = 0 -> loadSplat group dst b a
            | Load(dst, b, a) when Addr.strideOf l.Iv a = 1 -> group.Add(Ext(VLoad(vector dst, b, subst a)))
            | Load(dst, b, a) -> group.Add(Ext(VGather(vector dst, b, subst a, Addr.strideOf l.Iv a)))
            | Compute(dst, prim, args) ->
                let vargs = List.map (operand group) args
                group.Add(Compute(vector dst, prim, vargs))
            | Store(b, a, x) ->
                let x = operand group x
                group.Add(Ext(VStore(b, subst a, x)))
            | Accum(b, a, c, x) ->
                let old, sum = Var.fresh (vecAval t), Var.fresh (vecAval t)
                let x = operand group x
                group.Add(Ext(VLoad(old, b, subst a)))
                group.Add(Compute(sum, Combiner.binary c, [ Var old; x ]))
                group.Add(Ext(VStore(b, subst a, Var sum)))
            | For _ | Fill _ | Call _ | Ext _ -> ()
            List.ofSeq group
        List.map statements l.Body, vec
    let vectorLoop (copies: int) (lo: int) (hi: int) : VecStmt * Var list =
        let viv = Var.fresh l.Iv.Aval
        let splats = Dictionary<Var, Var>()
        let bodies = List.init copies (copy viv splats)
        let vec = snd bodies.Head
        let yields = l.Yield |> List.map (fun a -> match a with Var v when vec.ContainsKey v -> Var vec[v] | _ -> a)
        let results = accs |> List.map (fun _ -> Var.fresh (vecAval t))
        For { Iv = viv; Lo = lo; Hi = hi; Step = w * copies; Parallel = l.Parallel
              Carried = List.map2 (fun (_, vacc) (_, c) -> vacc, Lit(NdArray.withWeak false (Combiner.identity c t))) vaccs accs
              // statement by statement, so that the copies' chains overlap within the CPU's window
              Body = bodies |> List.map fst |> List.transpose |> List.concat |> List.concat
              Yield = yields; Results = results },
        results
    let vectorHi = l.Lo + (l.Hi - l.Lo) / w * w
    let copies = if l.Carried.IsEmpty && not l.Parallel then interleave l.Body.Length else 1
    let interleavedHi = l.Lo + (l.Hi - l.Lo) / (w * copies) * (w * copies)
    // the interleaved loop, then single vectors for what it leaves (a loop of one copy only)
    let loops, vresults =
        if copies = 1 then (let loop, rs = vectorLoop 1 l.Lo vectorHi in [ loop ], rs)
        else
            let main, _ = vectorLoop copies l.Lo interleavedHi
            let rest, rs = vectorLoop 1 interleavedHi vectorHi
            (if interleavedHi > l.Lo then [ main ] else []) @ (if vectorHi > interleavedHi then [ rest ] else []), rs
    // fold each vector accumulator, then the loop's own init, into the scalar tail's init
    let folds, inits =
        List.zip3 accs vresults l.Carried
        |> List.map (fun ((_, c), vr, (_, init)) ->
            let h, s = Var.fresh (Aval.scalar t), Var.fresh (Aval.scalar t)
            [ Ext(VReduce(h, c, Var vr)); Compute(s, Combiner.binary c, [ init; Var h ]) ], Var s)
        |> List.unzip
    let tail = For { l with Lo = vectorHi; Parallel = false; Carried = List.map2 (fun (acc, _) i -> acc, i) l.Carried inits }
    loops @ List.concat folds @ [ tail ]

let rec private walk (count: int ref) (stmts: VecStmt list) : VecStmt list =
    stmts |> List.collect (fun s ->
        match s with
        | For l when l.Body |> List.exists (fun b -> match b with For _ -> true | _ -> false) ->
            [ For { l with Body = walk count l.Body } ]
        | For l ->
            match laneType l with
            | Some t when l.Hi - l.Lo >= width t ->
                match reductions l with
                | cs when List.forall Option.isSome cs ->
                    count.Value <- count.Value + 1
                    vectorizeLoop l t (List.choose id cs)
                | _ -> [ s ]
            | _ -> [ s ]
        | _ -> [ s ])

/// Runs the pass; statistic: loops vectorized.
let run (p: VecProgram) =
    let count = ref 0
    let body = walk count p.Body
    { p with Body = body }, [ "num-vectorized", count.Value, "Number of loops vectorized" ]
