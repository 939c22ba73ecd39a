/// Batching (jax/_src/interpreters/batching.py, as autodidax writes it): vmap runs a function on
/// tracers that carry a batch axis (`bdim`) and turns each primitive into primitives over the
/// whole batch by one rule per lax primitive (the rules: BatchRules.fs). Takes f, in_axes and
/// out_axes; returns f mapped over the axis. Guarantees: no loop over the batch; a rule's outputs
/// carry the bdims it returns.
module Cotangent.Core.Passes.Vmap

open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Tracing
module L = Cotangent.Core.LaxOps
open Cotangent.Core.Passes.BatchRules

// ---------------------------------------------------------------------------------------------
// The trace.

/// A value under vmap: the batched value and its batch axis (None: the same for every example).
type BatchTracer(trace: Trace, value: Value, bdim: int option) =
    inherit Tracer(trace)
    // one example's aval, made at the first read (rules read it for most operands)
    let mutable aval = Unchecked.defaultof<Aval>
    member _.Value = value
    member _.BDim = bdim

    override _.Aval =
        match bdim with
        | None -> Value.aval value
        | Some b ->
            if obj.ReferenceEquals(aval, null) then
                let a = Value.aval value
                aval <- { a with Shape = Array.removeAt b a.Shape }
            aval

    override this.Lowered() =
        match bdim with
        | None -> ValueSome(fullLower value)
        | Some _ -> ValueNone

/// The batching trace: a primitive with a batched operand goes to its rule; one without is bound
/// on the plain values, as it is the same for every example.
type BatchTrace(level: int, axisSize: int, rules: Prim -> BatchRule) =
    inherit Trace(level)
    member _.AxisSize = axisSize
    override this.Pure a = Traced(BatchTracer(this, Concrete a, None))
    override this.Lift t = Traced(BatchTracer(this, Traced t, None))

    /// The plain value under this trace's tracer; any other value as it is.
    member this.ValueOf(v: Value) =
        match v with
        | Traced(:? BatchTracer as t) when obj.ReferenceEquals(t.Trace, this) -> t.Value
        | other -> other

    /// The batch axis of this trace's tracer; None for any other value (unbatched).
    member this.DimOf(v: Value) =
        match v with
        | Traced(:? BatchTracer as t) when obj.ReferenceEquals(t.Trace, this) -> t.BDim
        | _ -> None

    member this.Unpack(v: Value) = this.ValueOf v, this.DimOf v

    // Process runs for every bound primitive: its walks over the operands are members, not
    // closures over the trace, and values and axes are read apart, not as a list of pairs
    member private this.Values(xs: Value list) = match xs with x :: rest -> this.ValueOf x :: this.Values rest | [] -> []
    member private this.Dims(xs: Value list) = match xs with x :: rest -> this.DimOf x :: this.Dims rest | [] -> []
    member private this.AnyBatched(xs: Value list) = match xs with x :: rest -> (this.DimOf x).IsSome || this.AnyBatched rest | [] -> false

    member private this.Tracers(outs: Value list, dims: int option list) =
        match outs, dims with
        | v :: vs, d :: ds -> Traced(BatchTracer(this, v, d)) :: this.Tracers(vs, ds)
        | [], [] -> []
        | _ -> fail "vmap" "a batching rule returned a different number of outputs and batch axes"

    override this.Process prim args =
        // unbatched outputs are returned as the plain values, which `bind` would lower them to
        if not (this.AnyBatched args) then bind prim (this.Values args)
        else this.Tracers(rules prim (this.Values args) (this.Dims args))

/// `f` applied to batched values (batch axes `dims`, at least one Some): the outputs and their
/// batch axes, where the rules left them.
let rec batchAxes (f: Value list -> Value list) (vals: Value list) (dims: int option list) : Value list * int option list =
    let size = axisSize vals dims
    withNewTrace (fun level -> BatchTrace(level, size, rule)) (fun (trace: BatchTrace) ->
        let ins = List.map2 (fun v (d: int option) -> if d.IsSome then Traced(BatchTracer(trace, v, d)) else v) vals dims
        f ins |> List.map (fullRaise trace >> trace.Unpack) |> List.unzip)

/// The batching rule of each primitive, in Prim order.
and rule (prim: Prim) : BatchRule =
    match prim with
    | Neg | Sign | Floor | Ceil | Round _ | IsFinite | Exp | Log | Log1p | Expm1 | Sin | Cos | Tan | Tanh
    | Logistic | Sqrt | Rsqrt | Abs | IntegerPow _ | Not -> vectorized prim
    | Pow | Add | Sub | Mul | Div | Rem | Max | Min | Atan2 | Eq | Ne | Lt | Le | Gt | Ge | And | Or
    | AddAny -> broadcastBatcher prim
    | SelectN -> selectBatch
    | ConvertElementType _ -> vectorized prim
    | BroadcastInDim(shape, dims) ->
        unary (fun b x -> L.broadcastInDim (dimOf x b :: shape) (0 :: List.map ((+) 1) dims) (moveaxis b 0 x), 0)
    | Reshape sizes -> unary (fun b x -> L.reshape (dimOf x b :: sizes) (moveaxis b 0 x), 0)
    | Squeeze dims -> unary (fun b x -> L.squeeze (List.map ((+) 1) dims) (moveaxis b 0 x), 0)
    | ExpandDims dims -> unary (fun b x -> L.expandDims (List.map ((+) 1) dims) (moveaxis b 0 x), 0)
    | Transpose perm -> unary (fun b x -> L.transpose (b :: List.map (past b) perm) x, 0)
    | ReduceSum axes -> reducer ReduceSum axes
    | ReduceMax axes -> reducer ReduceMax axes
    | ReduceMin axes -> reducer ReduceMin axes
    | ReduceProd axes -> reducer ReduceProd axes
    | Argmax(axes, dtype) -> reducer (fun axes -> Argmax(axes, dtype)) axes
    | Argmin(axes, dtype) -> reducer (fun axes -> Argmin(axes, dtype)) axes
    | Cumsum(axis, reverse) -> shifted (fun b -> Cumsum(past b axis, reverse))
    | DotGeneral(dims, pref) -> dotGeneralBatch dims pref
    | Slice(starts, limits, strides) ->
        unary (fun b x -> L.slice (List.insertAt b 0 starts) (List.insertAt b (dimOf x b) limits) (strides |> Option.map (List.insertAt b 1)) x, b)
    | DynamicSlice sizes -> dynamicSliceBatch sizes
    | DynamicUpdateSlice -> dynamicUpdateSliceBatch
    | Concatenate dim -> concatenateBatch dim
    | Pad config -> padBatch config
    | Rev dims -> shifted (fun b -> Rev(List.map (past b) dims))
    // no operands, so never batched: Process binds it without a rule
    | Iota _ -> fun vals _ -> allAt None (bind prim vals)
    | StopGradient -> vectorized prim
    | Pjit(name, closed) -> pjitBatch name closed
    | Scan s -> scanBatch s

/// _pjit_batcher with batching.batch_jaxpr2: one pjit (same name) of the region batched at the
/// operands' batch axes, whose outputs keep the batch axes its rules chose.
and private pjitBatch (name: string) (closed: ClosedJaxpr<Prim>) : BatchRule =
    fun vals dims ->
        let outDims = ref []
        let body (args: Value list) =
            let outs, bdims = batchAxes (Numpy.regionFun closed) args dims
            outDims.Value <- bdims
            outs
        let batched = Numpy.traceClosedRegion body (vals |> List.map Value.aval)
        bind (Pjit(name, batched)) vals, outDims.Value

/// _scan_batching_rule: the body batched with every batched operand's axis at 0 (an xs's at 1,
/// after the scan axis), and the carries batched wherever a step makes them so: a fixpoint, since
/// a carry the body batches in one step must be batched from the start.
and private scanBatch (s: ScanParams) : BatchRule =
    fun vals dims ->
        let size = List.zip vals dims |> List.pick (fun (v, d) -> d |> Option.map (fun b -> (Value.aval v).Shape[b]))
        let at (axis: int) (v: Value, d: int option) = match d with Some b -> moveaxis b axis v, true | None -> v, false
        let consts, inits, xs = scanGroups s (List.zip vals dims)
        let consts, xs = List.map (at 0) consts, List.map (at 1) xs
        let axisIf (axis: int) (batched: bool) = if batched then Some axis else None
        let rec settle (carried: bool list) =
            let carries = List.map2 (fun (v, d) batched -> if batched then matchAxis size 0 d v else v) inits carried
            // in the body every batched value has its batch axis first (an x slice's too)
            let bodyDims = List.map (snd >> axisIf 0) consts @ List.map (axisIf 0) carried @ List.map (snd >> axisIf 0) xs
            let slice (v: Value) = let a = Value.aval v in { a with Shape = a.Shape[1..] }
            let bodyAvals = (consts |> List.map (fst >> Value.aval)) @ (carries |> List.map Value.aval) @ (xs |> List.map (fst >> slice))
            let outBatched = ref []
            // the body's outputs with their batch axes at 0: a batched carry always, a ys when batched
            let body (args: Value list) =
                let outs, bdims = batchAxes (Numpy.regionFun s.Jaxpr) args bodyDims
                outBatched.Value <- bdims |> List.map Option.isSome
                List.mapi2 (fun i (v: Value) (d: int option) ->
                    match d with
                    | Some b -> moveaxis b 0 v
                    | None when i < s.NumCarry && carried[i] -> broadcastAt size 0 v
                    | None -> v) outs bdims
            let batched = Numpy.traceClosedRegion body bodyAvals
            let now = List.map2 (||) carried (List.take s.NumCarry outBatched.Value)
            if now <> carried then settle now
            else
                let outs = bind (Scan { s with Jaxpr = batched }) ((consts |> List.map fst) @ carries @ (xs |> List.map fst))
                let ysBatched = List.skip s.NumCarry outBatched.Value
                outs, List.map (axisIf 0) carried @ List.map (axisIf 1) ysBatched
        settle (inits |> List.map (snd >> Option.isSome))

// ---------------------------------------------------------------------------------------------
// Entry point.

/// An axis as numpy reads it: negative counts from the end of a rank-`rank` array.
let private normalize (axis: int) (rank: int) = if axis < 0 then axis + rank else axis

/// jax.vmap with out axes chosen once the number of outputs is known (`outAxesFor count`), as
/// JAX's pytree-prefix out_axes allow (jacfwd's `(None, -1)`).
let vmapOut (f: Value list -> Value list) (inAxes: int option list) (outAxesFor: int -> int option list) (args: Value list) : Value list =
    let avals = args |> List.map Value.aval
    if inAxes.Length <> args.Length then
        fail "vmap" $"in_axes must have one entry (an axis or None) per positional argument of the function, but got len(in_axes)={inAxes.Length}, len(args)={args.Length} (arguments: {avalsText args})"
    let dims =
        List.mapi2 (fun i (axis: int option) (a: Aval) ->
            axis |> Option.map (fun ax ->
                let r = a.Shape.Length
                if ax < -r || ax >= r then
                    let need = if ax >= 0 then ax + 1 else -ax
                    fail "vmap" $"argument {i} cannot be mapped along axis {ax}, which implies a rank of at least {need}, but argument {i} is {Aval.str a} (rank {r}, shape {Shape.pyTuple a.Shape})"
                normalize ax r)) inAxes avals
    let mapped = List.zip3 [ 0 .. args.Length - 1 ] avals dims |> List.choose (fun (i, a, d) -> d |> Option.map (fun b -> i, a, b))
    match mapped with
    | [] -> fail "vmap" $"in_axes must have at least one non-None value, got only None for the arguments {avalsText args}"
    | (_, a0, b0) :: _ ->
        let size = a0.Shape[b0]
        if mapped |> List.exists (fun (_, a, b) -> a.Shape[b] <> size) then
            let each = mapped |> List.map (fun (i, a, b) -> $"argument {i} of type {Aval.str a} has size {a.Shape[b]} along axis {b}")
            fail "vmap" ("got inconsistent sizes for array axes to be mapped: " + System.String.Join("; ", each))
        let outs, outDims = batchAxes f args dims
        let outAxes = outAxesFor outs.Length
        if outAxes.Length <> outs.Length then
            fail "vmap" $"out_axes must have one entry (an axis or None) per output of the function, but got len(out_axes)={outAxes.Length}, len(outputs)={outs.Length}"
        List.zip3 outs outDims outAxes
        |> List.mapi (fun j (v, d, axis) ->
            let r = rankOf v - (if d.IsSome then 1 else 0)
            match axis, d with
            | None, None -> v
            | None, Some _ ->
                fail "vmap" $"output {j} depends on a mapped argument (it is {Aval.str (Value.aval v)} batched along axis {d.Value}) but out_axes[{j}] is None, which is only for outputs that are the same for every example"
            | Some k, _ when k < -(r + 1) || k > r ->
                fail "vmap" $"out_axes[{j}] = {k} is out of range for output {j}, which gets rank {r + 1} with the mapped axis; expected {-(r + 1)} <= axis <= {r}"
            | Some k, Some b -> moveaxis b (normalize k (r + 1)) v
            | Some k, None -> broadcastAt size (normalize k (r + 1)) v)

/// jax.vmap: `f` mapped over axis inAxes[i] of argument i (None: passed whole to every example);
/// output j is stacked along outAxes[j] (None: an output that does not depend on the mapped axis).
let vmap (f: Value list -> Value list) (inAxes: int option list) (outAxes: int option list) (args: Value list) : Value list =
    vmapOut f inAxes (fun _ -> outAxes) args
