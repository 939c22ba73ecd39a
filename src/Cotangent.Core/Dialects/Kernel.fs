/// The kernel dialect: a lax program in which elementwise chains, the index remaps that feed
/// them and a trailing reduction are grouped into `kernel.fusion` ops (XLA's loop and input
/// fusions). A fusion's body is a scalar lax jaxpr; each of its inputs is read through a strided
/// view of the iteration space. Guarantees: `eval` computes exactly what the lax ops it replaced
/// computed (it runs the same interpreter kernels), so every later stage can be checked against it.
module Cotangent.Core.Dialects.Kernel

open Cotangent.Core
open Cotangent.Core.Pretty
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Dialects.LaxText

/// How a kernel input is read at a point of the iteration space: element index = Offset +
/// Σ Strides[k]·i[k] (numpy strides in elements; 0 broadcasts, a permutation transposes).
type View = { Offset: int; Strides: int list }

/// The monoid of a reduction.
type Combiner =
    | Sum
    | Prod
    | Max
    | Min

/// Loop: every output has the iteration space's element count, in row-major order.
/// Input: the single output is the body's result reduced over `axes` of the iteration space.
type FusionKind =
    | Loop
    | Input of combiner: Combiner * axes: int list

type Fusion =
    { Name: string
      Kind: FusionKind
      Space: int list
      Views: View list
      /// Scalar program: one rank-0 invar per input, one rank-0 outvar per output.
      Body: Jaxpr<Prim> }

/// A kernel-dialect op: a fused kernel, or a lax op that runs as a whole-array library call
/// (dot_general, slicing, padding, ...).
type Op =
    | Lax of Prim
    | Fusion of Fusion

/// Kernels (loops) with at least this many elements of work are split across cores.
let parallelThreshold = 1 <<< 15

module Combiner =
    let name c =
        match c with
        | Sum -> "sum"
        | Prod -> "prod"
        | Max -> "max"
        | Min -> "min"

    /// The lax reduction that `c` performs over `axes`.
    let reduction c axes =
        match c with
        | Sum -> ReduceSum axes
        | Prod -> ReduceProd axes
        | Max -> ReduceMax axes
        | Min -> ReduceMin axes

    /// The binary lax op that combines two partial results.
    let binary c =
        match c with
        | Sum -> Add
        | Prod -> Mul
        | Max -> Prim.Max
        | Min -> Prim.Min

    /// The identity element: 0, 1, -inf (lowest) or +inf (highest) of `dtype`.
    let identity c (dtype: DType) : NdArray =
        let value =
            match c, dtype with
            | Sum, _ -> 0.0
            | Prod, _ -> 1.0
            | Max, (F32 | F64) -> -infinity
            | Min, (F32 | F64) -> infinity
            | Max, I32 -> float System.Int32.MinValue
            | Min, I32 -> float System.Int32.MaxValue
            | Max, (U32 | Bool) -> 0.0
            | Min, U32 -> float System.UInt32.MaxValue
            | Min, Bool -> 1.0
        NdArray.scalar dtype false value

module View =
    /// The row-major view of a whole array of `shape`.
    let contiguous (shape: int list) = { Offset = 0; Strides = List.ofArray (Shape.strides (Array.ofList shape)) }

    /// Flat element index of each point of `space`, row-major (strides may be negative).
    let indices (space: int list) (view: View) : int[] =
        let shape = Array.ofList space
        let strides = Array.ofList view.Strides
        let out = Array.zeroCreate (Shape.size shape)
        let mutable pos = 0
        let rec walk k at =
            if k = shape.Length then
                out[pos] <- at
                pos <- pos + 1
            else
                for c in 0 .. shape[k] - 1 do
                    walk (k + 1) (at + c * strides[k])
        if out.Length > 0 then walk 0 view.Offset
        out

    let text (view: View) =
        let strides = System.String.Join(",", view.Strides)
        if view.Offset = 0 then $"[{strides}]" else $"{view.Offset}+[{strides}]"

/// The shape of a fusion's results: its space (loop), or its space without the reduced axes (input).
let resultShape (f: Fusion) : int list =
    match f.Kind with
    | Loop -> f.Space
    | Input(_, axes) -> f.Space |> List.indexed |> List.filter (fun (k, _) -> not (List.contains k axes)) |> List.map snd

/// Where in a fusion a problem lies, so that a reader can point at it.
type FusionPart =
    | InSpace
    | InViews
    | InBody
    | InOutput of index: int

/// The problems of one fusion with the given input and output avals, each with where it lies;
/// [] when well formed. An output may have any shape of `resultShape`'s size.
let fusionProblems (f: Fusion) (inputs: Aval list) (outs: Aval list) : (FusionPart * string) list =
    let space = Shape.size (Array.ofList f.Space)
    let problems = ResizeArray<FusionPart * string>(LaxVerify.verify f.Body |> List.map (fun p -> InBody, p))
    let say (part: FusionPart) (s: string) = problems.Add(part, $"{f.Name}: {s}")
    if f.Space |> List.exists (fun d -> d < 0) then say InSpace $"space {Shape.pyTuple f.Space} has a negative size"
    match f.Kind, f.Body.OutVars with
    | Input(c, axes), out :: _ ->
        try LaxTypes.abstractEval (Combiner.reduction c axes) [ { Atom.aval out with Shape = Array.ofList f.Space } ] |> ignore
        with :? CotangentException as e -> say InSpace e.Message
    | Input _, [] | Loop, _ -> ()
    if f.Views.Length <> inputs.Length || f.Body.InVars.Length <> inputs.Length then
        say (if f.Views.Length <> inputs.Length then InViews else InBody) $"{inputs.Length} inputs, {f.Views.Length} views and {f.Body.InVars.Length} body inputs"
    if f.Body.OutVars.Length <> outs.Length then
        say InBody $"{outs.Length} outputs but the body returns {f.Body.OutVars.Length}"
    for v, a in Seq.zip f.Body.InVars inputs do
        if v.Aval.Shape.Length <> 0 || v.Aval.DType <> a.DType then
            say InBody $"body input {Aval.str v.Aval} reads an input of {Aval.str a}"
    for o in f.Body.OutVars do
        if (Atom.aval o).Shape.Length <> 0 then say InBody $"body result {Aval.str (Atom.aval o)} is not a scalar"
    for view, a in Seq.zip f.Views inputs do
        if view.Strides.Length <> f.Space.Length then
            say InViews $"view {View.text view} has {view.Strides.Length} strides for a {f.Space.Length}-d space"
        elif space > 0 then
            let reach = List.zip view.Strides f.Space |> List.sumBy (fun (s, n) -> abs s * (n - 1))
            let lo = view.Offset - (List.zip view.Strides f.Space |> List.sumBy (fun (s, n) -> if s < 0 then -s * (n - 1) else 0))
            if lo < 0 || lo + reach >= max 1 (Aval.size a) then
                say InViews $"view {View.text view} over {Shape.pyTuple f.Space} leaves an input of {Aval.str a}"
    let expected = Shape.size (Array.ofList (resultShape f))
    Seq.zip outs f.Body.OutVars |> Seq.iteri (fun i (o, bodyOut) ->
        if Aval.size o <> expected || o.DType <> (Atom.aval bodyOut).DType then
            say (InOutput i) $"output {Aval.str o} from a body result of {Aval.str (Atom.aval bodyOut)} over {Shape.pyTuple f.Space}")
    List.ofSeq problems

/// The problems of one fusion with the given input and output avals; [] when well formed.
let checkFusion (f: Fusion) (inputs: Aval list) (outs: Aval list) : string list = fusionProblems f inputs outs |> List.map snd

/// Every problem in a kernel-dialect program (SSA, types, fusion shapes); [] means valid.
let verify (jaxpr: Jaxpr<Op>) : string list =
    let problems = ResizeArray<string>()
    let bound = System.Collections.Generic.HashSet<Var>()
    let bind (v: Var) = if not (bound.Add v) then problems.Add $"var {v.Id} bound twice"
    let use' (what: string) (a: Atom) =
        match a with
        | Var v when not (bound.Contains v) -> problems.Add $"{what} uses var {v.Id} before it is bound"
        | _ -> ()
    List.iter bind jaxpr.ConstVars
    List.iter bind jaxpr.InVars
    jaxpr.Eqns |> List.iteri (fun i eqn ->
        let inputs = eqn.Inputs |> List.map Atom.aval
        let outs = eqn.Outs |> List.map (fun v -> v.Aval)
        match eqn.Op with
        | Lax prim ->
            List.iter (use' $"equation {i} ({Lax.name prim})") eqn.Inputs
            try
                if LaxTypes.abstractEval prim inputs <> outs then problems.Add $"equation {i} ({Lax.name prim}) binds outputs its type rule does not give"
            with :? CotangentException as e -> problems.Add $"equation {i} is ill-typed: {e.Message}"
        | Fusion f ->
            List.iter (use' $"equation {i} ({f.Name})") eqn.Inputs
            problems.AddRange(checkFusion f inputs outs)
        List.iter bind eqn.Outs)
    List.iter (use' "outvars") jaxpr.OutVars
    List.ofSeq problems

/// Runs one fusion on whole arrays: gathers each input through its view into the iteration
/// space, runs the body's lax ops on those arrays, and reduces at the end for input fusions.
let evalFusion (f: Fusion) (args: NdArray list) (outs: Aval list) : NdArray list =
    let space = Array.ofList f.Space
    let gathered =
        List.map2 (fun (view: View) (a: NdArray) ->
            NdArray.create false space (Backend.Buffers.gather a.Data (View.indices f.Space view))) f.Views args
    let env = System.Collections.Generic.Dictionary<Var, NdArray>()
    List.iter2 (fun v a -> env[v] <- a) f.Body.InVars gathered
    let read atom =
        match atom with
        | Var v -> env[v]
        | Lit a when space.Length = 0 -> a
        | Lit a -> NdArray.create false space (Backend.Buffers.gather a.Data (Array.zeroCreate (Shape.size space)))
    for eqn in f.Body.Eqns do
        let results = Backend.Interpreter.eval eqn.Op (List.map read eqn.Inputs)
        List.iter2 (fun v r -> env[v] <- r) eqn.Outs results
    let results = f.Body.OutVars |> List.map read
    let reduced =
        match f.Kind with
        | Loop -> results
        | Input(c, axes) -> results |> List.collect (fun r -> Backend.Interpreter.eval (Combiner.reduction c axes) [ r ])
    List.map2 (fun (o: Aval) (r: NdArray) -> { Aval = o; Data = r.Data }) outs reduced

/// Runs a kernel-dialect program on concrete arrays.
let eval (closed: ClosedJaxpr<Op>) (args: NdArray list) : NdArray list =
    let env = System.Collections.Generic.Dictionary<Var, NdArray>()
    List.iter2 (fun v a -> env[v] <- a) closed.Jaxpr.ConstVars closed.Consts
    List.iter2 (fun v a -> env[v] <- a) closed.Jaxpr.InVars args
    let read atom =
        match atom with
        | Var v -> env[v]
        | Lit a -> a
    for eqn in closed.Jaxpr.Eqns do
        let inputs = List.map read eqn.Inputs
        let results =
            match eqn.Op with
            | Lax prim -> Backend.Interpreter.eval prim inputs
            | Fusion f -> evalFusion f inputs (eqn.Outs |> List.map (fun v -> v.Aval))
        List.iter2 (fun v r -> env[v] <- r) eqn.Outs results
    List.map read closed.Jaxpr.OutVars

/// Jaxpr-like syntax: a fusion prints as `kernel.fusion[kind=… space=… views=… body={ lambda … }]`.
let syntax: Syntax<Op> =
    { OpName =
        fun op ->
            match op with
            | Lax prim -> Lax.name prim
            | Fusion _ -> "kernel.fusion"
      Params =
        fun op ->
            match op with
            | Lax prim -> laxSyntax.Params prim
            | Fusion f ->
                let kind =
                    match f.Kind with
                    | Loop -> "loop"
                    | Input(c, axes) -> $"reduce_{Combiner.name c}{Shape.pyTuple axes}"
                [ "name", Plain f.Name
                  "kind", Plain kind
                  "space", Plain(Shape.pyTuple f.Space)
                  "views", Plain("(" + System.String.Join(" ", f.Views |> List.map View.text) + ")")
                  "body", Nested(fun names -> ppJaxprWith laxSyntax names f.Body) ] }

/// The program in jaxpr-like form, each fused kernel's scalar body nested in its equation.
let print (jaxpr: Jaxpr<Op>) : string = printWith syntax jaxpr
