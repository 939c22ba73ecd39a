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
    override this.FullLower() =
        match pval with
        | Known v -> fullLower v
        | Unknown _ -> Traced this

type PeTrace(level: int) =
    inherit Trace(level)
    let eqns = ResizeArray<Eqn<Prim>>()
    let residuals = ResizeArray<Var * Value>()
    let residualIndex = Dictionary<obj, Var>(HashIdentity.Reference)

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

    member this.Eqns = List.ofSeq eqns
    member this.Residuals = List.ofSeq residuals

    override this.Pure a = Traced(PeTracer(this, Known(Concrete a)))
    override this.Lift t = Traced(PeTracer(this, Known(Traced t)))

    override this.Process prim args =
        let known =
            args |> List.map (fun a ->
                match a with
                | Traced(:? PeTracer as t) ->
                    match t.PVal with
                    | Known k -> Some k
                    | Unknown _ -> None
                | other -> Some other)
        if known |> List.forall Option.isSome then
            bind prim (List.choose id known) |> List.map (fun v -> Traced(PeTracer(this, Known v)))
        else
            let inputs = args |> List.map this.AtomOf
            let outs = LaxTypes.abstractEval prim (inputs |> List.map Atom.aval) |> List.map Var.fresh
            eqns.Add { Op = prim; Inputs = inputs; Outs = outs; Source = None }
            outs |> List.map (fun v -> Traced(PeTracer(this, Unknown(Var v))))

/// An input of a partially evaluated function: known, or unknown of an aval.
type PartialInput =
    | KnownInput of Value
    | UnknownInput of Aval

/// Traces `f` with its unknown inputs staged. Returns each output's known value (None when
/// unknown) and the staged jaxpr of the unknown part, whose invars are the unknown inputs,
/// whose outvars are the unknown outputs and those that `instantiate count index` marks (known values as
/// literals or residuals), and whose constvars are the residuals, with the residuals' values.
let traceToJaxprPartial (f: Value list -> Value list) (inputs: PartialInput list) (instantiate: int -> int -> bool) =
    withNewTrace PeTrace (fun (trace: PeTrace) ->
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
        let values = jaxpr.ConstVars |> List.map (fun v -> residuals |> List.find (fun (r, _) -> r = v) |> snd)
        let known =
            outs |> List.map (fun v ->
                match fullLower v with
                | Traced(:? PeTracer as t) when obj.ReferenceEquals(t.Trace, trace) -> None
                | lowered -> Some lowered)
        known, jaxpr, values)
