/// Partial evaluation (JAX's pe.JaxprTrace): values are known (computed now, by the traces
/// below) or unknown (staged). A primitive with only known inputs runs at once; one with an
/// unknown input is staged into a jaxpr whose known inputs become residuals (constvars) or
/// literals. Linearize = jvp under this trace with unknown tangents: the primal computation
/// runs, the linear tangent computation is staged.
module Cotangent.Core.Passes.PartialEval

open System.Collections.Generic
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Tracing

/// A partially known value: known (a value of a lower trace) or unknown (an atom of the jaxpr
/// being staged).
type PartialVal =
    | Known of Value
    | Unknown of Atom

type PeTracer(trace: Trace, pval: PartialVal) =
    inherit Tracer(trace)
    member _.PVal = pval

    override _.Aval =
        match pval with
        | Known v -> Value.aval v
        | Unknown atom -> Atom.aval atom

    /// Known values never stay wrapped: they lower to the value itself (JAX's full_lower).
    override this.Lowered() =
        match pval with
        | Known v -> ValueSome(fullLower v)
        | Unknown _ -> ValueNone

/// A partial-evaluation trace. `pjitRule` and `scanRule` are the regions' rules
/// (_pjit_partial_eval, _scan_partial_eval), given once the functions they need exist below: the
/// trace and the rules are mutually recursive.
type PeTrace(level: int, pjitRule: PeTrace -> string -> ClosedJaxpr<Prim> -> Value list -> Value list,
             scanRule: PeTrace -> ScanParams -> Value list -> Value list) =
    inherit Trace(level)
    let eqns = StagedEqns()
    let residuals = ResizeArray<Var * Value>()
    let residualIndex = Dictionary<obj, Var>(byIdentity)

    /// instantiate_const: a concrete scalar becomes a literal; any other known value becomes a
    /// residual constvar (one per value).
    member this.Instantiate(v: Value) : Atom =
        match v with
        | Concrete a when a.Aval.Shape.Length = 0 -> Lit a
        | _ ->
            let key: obj =
                match v with
                | Concrete a -> a
                | Traced t -> t
            match residualIndex.TryGetValue key with
            | true, var -> Var var
            | _ ->
                let var = Var.fresh (Value.aval v)
                residualIndex[key] <- var
                residuals.Add((var, v))
                Var var

    member this.AtomOf(v: Value) : Atom =
        match v with
        | Traced(:? PeTracer as t) when obj.ReferenceEquals(t.Trace, this) ->
            match t.PVal with
            | Known k -> this.Instantiate k
            | Unknown atom -> atom
        | other -> this.Instantiate other

    /// A new unknown input of the staged jaxpr.
    member this.NewArg(aval: Aval) : Var * Value =
        let v = Var.fresh aval
        v, Traced(PeTracer(this, Unknown(Var v)))

    member this.Eqns = eqns.ToList()
    member this.Residuals = List.ofSeq residuals

    override this.Pure a = Traced(PeTracer(this, Known(Concrete a)))
    override this.Lift t = Traced(PeTracer(this, Known(Traced t)))

    override this.Release() =
        eqns.Clear()
        residuals.Clear()
        residualIndex.Clear()

    /// The known value of an argument of this trace, or None when it is unknown.
    member this.KnownValue(v: Value) : Value option =
        match v with
        | Traced(:? PeTracer as t) when obj.ReferenceEquals(t.Trace, this) ->
            match t.PVal with
            | Known k -> Some k
            | Unknown _ -> None
        | other -> Some other

    /// Stages `prim` applied to `inputs` into the unknown jaxpr; its outputs are unknown.
    member this.Stage(prim: Prim, inputs: Atom list) : Value list = this.Add(staged prim inputs)

    member private this.Add(e: Eqn<Prim>) =
        eqns.Add e
        tracers (fun v -> Traced(PeTracer(this, Unknown(Var v)))) e.Outs

    /// An argument's known value; only for arguments known to be known.
    member private this.KnownOf(v: Value) : Value =
        match v with
        | Traced(:? PeTracer as t) when obj.ReferenceEquals(t.Trace, this) ->
            match t.PVal with
            | Known k -> k
            | Unknown _ -> fail "" "partial evaluation read an unknown value as known"
        | other -> other

    // Process runs for every bound primitive: its walks over the operands are members, not
    // closures over the trace, and none makes an option per argument
    member private this.AllKnown(xs: Value list) =
        match xs with
        | Traced(:? PeTracer as t) :: _ when obj.ReferenceEquals(t.Trace, this) && not t.PVal.IsKnown -> false
        | _ :: rest -> this.AllKnown rest
        | [] -> true
    member private this.Knowns(xs: Value list) = match xs with x :: rest -> this.KnownOf x :: this.Knowns rest | [] -> []
    member private this.Atoms(xs: Value list) = match xs with x :: rest -> this.AtomOf x :: this.Atoms rest | [] -> []

    override this.Process prim args =
        // known outputs are returned as the values below, which `bind` would lower them to
        if this.AllKnown args then bind prim (this.Knowns args)
        else
            match prim with
            | Pjit(name, closed) -> pjitRule this name closed args
            | Scan scan -> scanRule this scan args
            // the type rule before the equation's parts, as JaxprTrace.Process orders them
            | _ ->
                let outAvals = eqns.TypeOf(prim, args)
                this.Add(stagedAs prim (this.Atoms args) outAvals)

/// An input of a partially evaluated function: known, or unknown of an aval.
type PartialInput =
    | KnownInput of Value
    | UnknownInput of Aval

/// Traces `f` with its unknown inputs staged. Returns each output's known value (None when
/// unknown) and the staged jaxpr of the unknown part, whose invars are the unknown inputs,
/// whose outvars are the unknown outputs and those that `instantiate count index` marks (known values as
/// literals or residuals), and whose constvars are the residuals, with the residuals' values.
let rec traceToJaxprPartial (f: Value list -> Value list) (inputs: PartialInput list) (instantiate: int -> int -> bool) =
    withNewTrace (fun level -> PeTrace(level, pjitPartialEval, scanPartialEval)) (fun (trace: PeTrace) ->
        let ins, invars =
            inputs
            |> List.map (fun input ->
                match input with
                | KnownInput v -> v, None
                | UnknownInput aval ->
                    let var, tracer = trace.NewArg aval
                    tracer, Some var)
            |> List.unzip
        let outs = f ins |> List.map (fullRaise trace)
        let isUnknown (v: Value) =
            match v with
            | Traced(:? PeTracer as t) -> (match t.PVal with Unknown _ -> true | Known _ -> false)
            | _ -> false
        let outAtoms = outs |> List.indexed |> List.filter (fun (i, v) -> instantiate outs.Length i || isUnknown v) |> List.map (snd >> trace.AtomOf)
        let residuals = trace.Residuals
        let jaxpr =
            // JAX emits only what the outputs reach
            Dce.dceJaxpr { ConstVars = residuals |> List.map fst; InVars = List.choose id invars; Eqns = trace.Eqns; OutVars = outAtoms } |> fst
        // dce keeps constvars in their order: the kept ones' values are one walk along the residuals
        let rec valuesOf (kept: Var list) (all: (Var * Value) list) =
            match kept, all with
            | [], _ -> []
            | k :: ks, (r, value) :: rs -> if k.Id = r.Id then value :: valuesOf ks rs else valuesOf kept rs
            | _ :: _, [] -> fail "linearize" "dce kept a constvar that is not a residual"
        let values = valuesOf jaxpr.ConstVars residuals
        let known =
            outs |> List.map (fun v ->
                match fullLower v with
                | Traced(:? PeTracer as t) when obj.ReferenceEquals(t.Trace, trace) -> None
                | lowered -> Some lowered)
        known, jaxpr, values)

/// pe.partial_eval_jaxpr_nounits(instantiate=False): a region split by which inputs are
/// `unknowns` into a known region (known inputs to known outputs, then residuals; traced like
/// JAX's, so it keeps every known equation) and an unknown region (unknown inputs, then
/// residuals, to unknown outputs: JAX's residuals-first binders already moved to the back, as
/// _pjit_partial_eval moves them). Also gives which outputs are unknown and the residual count.
and partialEvalJaxpr (closed: ClosedJaxpr<Prim>) (unknowns: bool list) : ClosedJaxpr<Prim> * ClosedJaxpr<Prim> * bool list * int =
    partialEvalJaxprWith closed unknowns (closed.Jaxpr.OutVars |> List.map (fun _ -> false))

/// partialEvalJaxpr with the outputs `instantiate` marks unknown even when known (a scan's
/// carry that is unknown on entry must be unknown on exit): the known region leaves them out.
and partialEvalJaxprWith (closed: ClosedJaxpr<Prim>) (unknowns: bool list) (instantiate: bool list) =
    let inAvals = closed.Jaxpr.InVars |> List.map (fun v -> v.Aval)
    let unknownPart = ref None
    let knownFun (knownVals: Value list) =
        let rest = ref knownVals
        let inputs =
            List.map2 (fun (aval: Aval) unknown ->
                if unknown then UnknownInput aval
                else
                    let v = rest.Value.Head
                    rest.Value <- rest.Value.Tail
                    KnownInput v) inAvals unknowns
        let known, jaxpr, residuals = traceToJaxprPartial (Numpy.regionFun closed) inputs (fun _ i -> instantiate[i])
        let known = List.map2 (fun k forced -> if forced then None else k) known instantiate
        unknownPart.Value <- Some(known |> List.map Option.isNone, jaxpr)
        List.choose id known @ residuals
    let knownAvals = List.zip inAvals unknowns |> List.filter (snd >> not) |> List.map fst
    let knownClosed = Numpy.traceClosedRegion knownFun knownAvals
    match unknownPart.Value with
    | Some(outUnknowns, unknownJaxpr) ->
        let moved = { unknownJaxpr with ConstVars = []; InVars = unknownJaxpr.InVars @ unknownJaxpr.ConstVars }
        knownClosed, { Jaxpr = moved; Consts = [] }, outUnknowns, unknownJaxpr.ConstVars.Length
    | None -> failwith "unreachable: tracing the known region runs the partial evaluation"

/// _pjit_partial_eval: the known part of the region runs as a pjit on the known inputs (JAX
/// keeps the name), giving the known outputs and the residuals; the unknown part is staged as a
/// pjit of the unknown inputs and the residuals. As in JAX, the known pjit does not output what
/// it only forwards: a known input (_jaxpr_forwarding) or, as a residual, one of its own
/// primal outputs.
and private pjitPartialEval (trace: PeTrace) (name: string) (closed: ClosedJaxpr<Prim>) (args: Value list) : Value list =
    let next (cell: Value list ref) =
        let v = cell.Value.Head
        cell.Value <- cell.Value.Tail
        v
    /// util.subs_list: src[i] where `subs` has Some i, else the next of `rest`.
    let subs (fwds: int option list) (src: Value list) (rest: Value list) =
        let cell = ref rest
        fwds |> List.map (function Some i -> src[i] | None -> next cell)
    let unforwarded (fwds: int option list) (atoms: Atom list) = List.zip fwds atoms |> List.filter (fst >> Option.isNone) |> List.map snd
    let knownArgs = args |> List.map trace.KnownValue
    let knownClosed, unknownClosed, outUnknowns, residualCount = partialEvalJaxpr closed (knownArgs |> List.map Option.isNone)
    let knownInputs = List.choose id knownArgs
    let known = knownClosed.Jaxpr
    let inFwd = known.OutVars |> List.map (function Var v -> List.tryFindIndex ((=) v) known.InVars | Lit _ -> None)
    let kept = unforwarded inFwd known.OutVars
    let primalCount = inFwd |> List.take (known.OutVars.Length - residualCount) |> List.filter Option.isNone |> List.length
    let primalAtoms = List.take primalCount kept
    let sameVar (a: Atom) (b: Atom) = match a, b with Var x, Var y -> x = y | _ -> false
    let outFwd = kept |> List.mapi (fun i a -> if i < primalCount then None else List.tryFindIndex (sameVar a) primalAtoms)
    let pruned = { knownClosed with Jaxpr = { known with OutVars = unforwarded outFwd kept } }
    let computed = bind (Pjit(name, pruned)) knownInputs
    let knownOuts = subs inFwd knownInputs (subs outFwd computed computed)
    let knownValues, residuals = List.splitAt (knownOuts.Length - residualCount) knownOuts
    let unknownIns = List.zip args knownArgs |> List.filter (snd >> Option.isNone) |> List.map (fst >> trace.AtomOf)
    let unknownOuts = ref (if List.contains true outUnknowns then trace.Stage(Pjit(name, unknownClosed), unknownIns @ List.map trace.Instantiate residuals) else [])
    let knownRest = ref knownValues
    outUnknowns |> List.map (fun unknown -> if unknown then next unknownOuts else Traced(PeTracer(trace, Known(next knownRest))))

/// _scan_partial_eval: the known part of the body runs now as a scan of the known consts, carries
/// and xs, stacking each step's residuals as extra ys; the unknown part is staged as a scan of
/// the unknown consts, carries and xs, with the stacked residuals as extra xs. A carry is unknown
/// wherever a step makes it so (a fixpoint); its known initial value is then an operand of the
/// unknown scan.
and private scanPartialEval (trace: PeTrace) (s: ScanParams) (args: Value list) : Value list =
    let nc, nk = s.NumConsts, s.NumCarry
    let knownArgs = args |> List.map trace.KnownValue
    let constU, initU, xsU = scanGroups s (knownArgs |> List.map Option.isNone)
    let ny = s.Jaxpr.Jaxpr.OutVars.Length - nk
    let rec settle (carryU: bool list) =
        let parts = partialEvalJaxprWith s.Jaxpr (constU @ carryU @ xsU) (carryU @ List.replicate ny false)
        let _, _, outUnknowns, _ = parts
        let now = List.map2 (||) carryU (List.take nk outUnknowns)
        if now <> carryU then settle now else parts, carryU
    let (knownClosed, unknownClosed, outUnknowns, residualCount), carryU = settle initU
    let unknowns = constU @ carryU @ xsU
    let count (flags: bool list) = flags |> List.filter id |> List.length
    let knownOperands = List.zip unknowns knownArgs |> List.filter (fst >> not) |> List.map (snd >> Option.get)
    // the known steps, now: known carries and ys, then the residuals stacked per step
    let knownScan = { s with NumConsts = nc - count constU; NumCarry = nk - count carryU; Jaxpr = knownClosed }
    let knownOuts = bind (Scan knownScan) knownOperands
    let knownValues, residuals = List.splitAt (knownOuts.Length - residualCount) knownOuts
    // the unknown steps, staged: unknown consts, carries (a known initial value instantiated), xs, then the residuals
    let unknownIns = List.zip args unknowns |> List.filter snd |> List.map (fst >> trace.AtomOf)
    let unknownScan = { s with NumConsts = count constU; NumCarry = count carryU; Jaxpr = unknownClosed }
    let unknownOuts = ref (if List.contains true outUnknowns then trace.Stage(Scan unknownScan, unknownIns @ List.map trace.Instantiate residuals) else [])
    let knownRest = ref knownValues
    let next (cell: Value list ref) =
        let v = cell.Value.Head
        cell.Value <- cell.Value.Tail
        v
    outUnknowns |> List.map (fun unknown -> if unknown then next unknownOuts else Traced(PeTracer(trace, Known(next knownRest))))

