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

let private vectorizeLoop (l: ForLoop<VecOp>) (t: DType) (combiners: Combiner list) : VecStmt list =
    let w = width t
    let vecAval dtype = Aval.make dtype [| w |]
    let viv = Var.fresh l.Iv.Aval
    let subst (a: Addr) = { a with Terms = a.Terms |> List.map (fun (v, s) -> (if v = l.Iv then viv else v), s) }
    let hoisted = ResizeArray<VecStmt>()
    let body = ResizeArray<VecStmt>()
    let vec = Dictionary<Var, Var>()
    let splat (a: Atom) =
        // a scalar outside the loop (or a literal) as a vector: splat once, before the loop
        let dst = Var.fresh (vecAval (Atom.aval a).DType)
        hoisted.Add(Ext(VSplat(dst, a)))
        dst
    let operand (a: Atom) =
        match a with
        | Var v when vec.ContainsKey v -> Var vec[v]
        | Lit _ -> a
        | Var _ -> Var(splat a)
    let accs = List.map2 (fun (acc: Var, _) c -> acc, c) l.Carried combiners
    for acc, _ in accs do
        let vacc = Var.fresh (vecAval t)
        vec[acc] <- vacc
    for s in l.Body do
        match s with
        | Load(dst, b, a) when Addr.strideOf l.Iv a = 0 ->
            let x = Var.fresh dst.Aval
            hoisted.Add(Load(x, b, a))
            vec[dst] <- splat (Var x)
        | Load(dst, b, a) when Addr.strideOf l.Iv a = 1 ->
            let v = Var.fresh (vecAval dst.Aval.DType)
            body.Add(Ext(VLoad(v, b, subst a)))
            vec[dst] <- v
        | Load(dst, b, a) ->
            let v = Var.fresh (vecAval dst.Aval.DType)
            body.Add(Ext(VGather(v, b, subst a, Addr.strideOf l.Iv a)))
            vec[dst] <- v
        | Compute(dst, prim, args) ->
            let v = Var.fresh (vecAval dst.Aval.DType)
            body.Add(Compute(v, prim, List.map operand args))
            vec[dst] <- v
        | Store(b, a, x) -> body.Add(Ext(VStore(b, subst a, operand x)))
        | Accum(b, a, c, x) ->
            let old, sum = Var.fresh (vecAval t), Var.fresh (vecAval t)
            body.Add(Ext(VLoad(old, b, subst a)))
            body.Add(Compute(sum, Combiner.binary c, [ Var old; operand x ]))
            body.Add(Ext(VStore(b, subst a, Var sum)))
        | For _ | Fill _ | Call _ | Ext _ -> ()
    let mainHi = l.Lo + (l.Hi - l.Lo) / w * w
    let vresults = accs |> List.map (fun _ -> Var.fresh (vecAval t))
    let vloop =
        For { Iv = viv; Lo = l.Lo; Hi = mainHi; Step = w; Parallel = l.Parallel
              Carried = accs |> List.map (fun (acc, c) -> vec[acc], Lit(NdArray.withWeak false (Combiner.identity c t)))
              Body = (if l.Parallel then List.ofSeq hoisted @ List.ofSeq body else List.ofSeq body); Yield = l.Yield |> List.map operand; Results = vresults }
    // fold each vector accumulator, then the loop's own init, into the scalar tail's init
    let folds, inits =
        List.zip3 accs vresults l.Carried
        |> List.map (fun ((_, c), vr, (_, init)) ->
            let h, s = Var.fresh (Aval.scalar t), Var.fresh (Aval.scalar t)
            [ Ext(VReduce(h, c, Var vr)); Compute(s, Combiner.binary c, [ init; Var h ]) ], Var s)
        |> List.unzip
    let tail = For { l with Lo = mainHi; Parallel = false; Carried = List.map2 (fun (acc, _) i -> acc, i) l.Carried inits }
    // a parallel loop is split across cores and must not read values from outside it, so its
    // invariant loads and splats stay in its body (one per iteration of W lanes)
    (if l.Parallel then [] else List.ofSeq hoisted) @ [ vloop ] @ List.concat folds @ [ tail ]

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
