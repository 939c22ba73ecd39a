/// Traces, tracers and `bind`, as in JAX and autodidax. A per-thread stack of traces: the eager
/// EvalTrace at level 0, then one trace per active transformation; `bind` hands each primitive
/// to the highest-level trace among its arguments (or the dynamic trace, when staging).
/// JaxprTrace stages primitives into a jaxpr. New traces (jvp, batching, partial evaluation)
/// subclass Trace and Tracer; nothing here needs to change for them.
module Cotangent.Core.Tracing

open System
open System.Collections.Generic
open System.Diagnostics
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax

/// What user code holds: a concrete array, or a tracer of some trace.
[<ReferenceEquality>]
type Value =
    | Concrete of NdArray
    | Traced of Tracer

/// A value under a transformation: it knows its abstract value and the trace it belongs to.
and [<AbstractClass>] Tracer(trace: Trace) =
    static let mutable made = 0L
    // a hash for identity-keyed tables (residuals, constvars): the runtime's identity hash takes
    // its slow path the first time it is asked of an object, for every residual of a linearization
    let key = System.Threading.Interlocked.Increment &made
    member _.Trace = trace
    /// Unique per tracer: the hash of identity-keyed tables.
    member _.Key = key
    abstract Aval: Aval
    /// The value at a lower level this tracer stands for, when its trace no longer needs it (JAX's
    /// full_lower); ValueNone keeps the tracer (and the Value holding it: no new wrapper).
    abstract Lowered: unit -> Value voption
    default this.Lowered() = ValueNone

/// One active transformation. Level orders traces: a higher level is applied first.
and [<AbstractClass>] Trace(level: int) =
    member _.Level = level
    /// False once the transformation that created it has returned: its tracers have escaped.
    member val IsAlive = true with get, set
    /// A constant entering this trace.
    abstract Pure: NdArray -> Value
    /// A tracer of a lower-level trace entering this one.
    abstract Lift: Tracer -> Value
    /// Applies a primitive to arguments of this trace or below. `bind` does not raise the others
    /// (most operands of a transformed program are residuals and constants from below, and a
    /// tracer made for each use would be thrown away at once): Process reads them as its Pure and
    /// Lift would make them.
    abstract Process: Prim -> Value list -> Value list
    /// Called once the transformation has returned: drops what the trace accumulated (see
    /// `withNewTrace`).
    abstract Release: unit -> unit
    default this.Release() = ()

/// Compares by reference, hashing a tracer by its key (a table of tracers and arrays: the traces'
/// constvars and residuals).
let byIdentity =
    { new IEqualityComparer<obj> with
        member _.Equals(x, y) = obj.ReferenceEquals(x, y)
        member _.GetHashCode x =
            match x with
            | :? Tracer as t -> t.Key.GetHashCode()
            | _ -> System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode x }

module Value =
    let aval (v: Value) =
        match v with
        | Concrete a -> a.Aval
        | Traced t -> t.Aval

/// The first stack frame outside Cotangent and the runtime: where the user called us.
let userCallSite () : SourceInfo option =
    let isOurs (t: Type | null) =
        match t with
        | null -> true
        | t ->
            let asm = t.Assembly.GetName().Name |> Option.ofObj |> Option.defaultValue ""
            asm = "Cotangent.Core" || asm = "Cotangent" || asm = "FSharp.Core" || asm.StartsWith "System."
    StackTrace(1, true).GetFrames()
    |> Array.tryPick (fun frame ->
        match frame.GetMethod() with
        | null -> None
        | m when isOurs m.DeclaringType -> None
        | m ->
            match frame.GetFileName() with
            | null -> None
            | file -> Some { File = file; Line = frame.GetFileLineNumber(); Member = m.Name })

/// Raises a user error from outside a type rule, with the user's call site.
let fail (primitive: string) (detail: string) : 'a =
    raise (CotangentException(primitive, detail, userCallSite ()))

/// A traced value read where a concrete one is needed (JAX's ConcretizationTypeError): while a
/// function is traced its values are abstract (an aval), so user code cannot read their
/// elements (ToScalar, ToArray) or branch on them (a C# if, while or ?:).
type ConcretizationException(operation: string, aval: Aval, transformation: string, site: SourceInfo option) =
    inherit CotangentException(
        operation,
        $"Abstract tracer value encountered where concrete value is expected: a traced {Aval.str aval} (a value of {transformation}) was read as a concrete value. "
        + "While a function is traced its values are only shapes and dtypes, so they cannot be read (ToScalar, ToArray) or decide a C# if, while or ?:. "
        + "Use Jnp.Where or Lax.Select for a value-dependent choice, or make the value static: compute it outside the transformed function and close over it instead of passing it as an argument",
        site)

    /// The abstract value of the tracer that was read.
    member _.Aval = aval
    /// The transformation that was tracing the value.
    member _.Transformation = transformation

/// The concrete array of `v`, or a ConcretizationException naming `operation`, the tracer's aval,
/// its transformation and the user's call site.
let concreteArray (operation: string) (v: Value) : NdArray =
    match v with
    | Concrete a -> a
    | Traced t ->
        let transformation =
            match t.Trace.GetType().Name with
            | "JaxprTrace" -> "jit or make_jaxpr, being staged into a jaxpr"
            | "JvpTrace" -> "jvp (forward-mode differentiation)"
            | "PeTrace" -> "linearize (reverse-mode differentiation: grad, vjp)"
            | "BatchTrace" -> "vmap"
            | other -> other
        raise (ConcretizationException(operation, t.Aval, transformation, userCallSite ()))

/// The bottom of the stack: values are concrete arrays, primitives run in the interpreter.
type EvalTrace() =
    inherit Trace(0)
    override this.Pure a = Concrete a
    override this.Lift t = Traced t

    override this.Process prim args =
        let arrays =
            args |> List.map (fun v ->
                match v with
                | Concrete a -> a
                | Traced t -> fail (Lax.name prim) $"EvalTrace got a tracer of level {t.Trace.Level}")
        Backend.Interpreter.eval prim arrays |> List.map Concrete

/// The per-thread trace state: the stack of active traces (innermost first) and the dynamic
/// trace, which takes every primitive while staging even when no argument is a tracer.
type private TraceState() =
    [<ThreadStatic; DefaultValue>]
    static val mutable private stack: Trace list

    // a Trace, not an option, so that bind reads it as it is: null when none
    [<ThreadStatic; DefaultValue>]
    static val mutable private dynamic: Trace

    static member Stack
        with get () = match box TraceState.stack with null -> [] | _ -> TraceState.stack
        and set v = TraceState.stack <- v

    /// The dynamic trace, or null.
    static member Dynamic
        with get () = TraceState.dynamic
        and set v = TraceState.dynamic <- v

let evalTrace: Trace = EvalTrace()

/// The level a new trace pushed now would get.
let nextLevel () =
    match TraceState.Stack with
    | [] -> 1
    | top :: _ -> top.Level + 1

/// Runs `body` with a new trace (made from its level) on top of the stack; pops it and marks it
/// dead afterwards, also when `body` throws, so no state outlives a failed transformation.
let withNewTrace (make: int -> #Trace) (body: 'T -> 'R) : 'R =
    let saved = TraceState.Stack
    let trace = make (nextLevel ())
    TraceState.Stack <- (trace :> Trace) :: saved
    try
        body trace
    finally
        trace.IsAlive <- false
        // A trace lives through the whole transformation, so a collection during it promotes the
        // trace to an old generation while its fields keep taking young equations. Dead, it would
        // still hold the last of them through the card table until a full collection: every
        // young collection in the meantime would copy them (a compile's program, twice over).
        trace.Release()
        TraceState.Stack <- saved

/// Runs `body` with `trace` as the dynamic trace (staging: constants are staged too).
let withDynamic (trace: Trace) (body: unit -> 'R) : 'R =
    let saved = TraceState.Dynamic
    TraceState.Dynamic <- trace
    try
        body ()
    finally
        TraceState.Dynamic <- saved

let private topTrace (prim: Prim) (args: Value list) : Trace =
    let dynamic = TraceState.Dynamic
    let mutable top = if isNull (box dynamic) then evalTrace else dynamic
    let mutable rest = args
    while not rest.IsEmpty do
        match rest.Head with
        | Traced t ->
            let trace = t.Trace
            if not trace.IsAlive then
                fail (Lax.name prim) $"got a tracer ({Aval.str t.Aval}) whose transformation has already returned; a traced value escaped its function (stored in a field or a closure?)"
            if trace.Level > top.Level then top <- trace
        | Concrete _ -> ()
        rest <- rest.Tail
    top

/// Brings `v` into `trace`: constants via Pure, lower-level tracers via Lift.
let fullRaise (trace: Trace) (v: Value) : Value =
    match v with
    | Concrete a -> trace.Pure a
    | Traced t when obj.ReferenceEquals(t.Trace, trace) -> v
    | Traced t when t.Trace.Level < trace.Level -> trace.Lift t
    | Traced t ->
        fail "" $"a tracer of level {t.Trace.Level} met a trace of level {trace.Level}: a traced value from one transformation leaked into another"

let fullLower (v: Value) : Value =
    match v with
    | Concrete _ -> v
    | Traced t -> match t.Lowered() with ValueSome lower -> lower | ValueNone -> v

/// Checks that every operand can enter `trace` (fullRaise's check, without raising): constants
/// and tracers of lower levels can; a tracer of another trace at this level or above has leaked.
let rec private checkRaisable (trace: Trace) (xs: Value list) =
    match xs with
    | Traced t :: _ when not (obj.ReferenceEquals(t.Trace, trace)) && t.Trace.Level >= trace.Level ->
        fail "" $"a tracer of level {t.Trace.Level} met a trace of level {trace.Level}: a traced value from one transformation leaked into another"
    | _ :: rest -> checkRaisable trace rest
    | [] -> ()

/// `List.map fullLower xs`, but `xs` itself when nothing lowers.
let rec private lowerAll (xs: Value list) : Value list =
    match xs with
    | [] -> xs
    | x :: rest ->
        let y = fullLower x
        let rest' = lowerAll rest
        if obj.ReferenceEquals(y, x) && obj.ReferenceEquals(rest', rest) then xs else y :: rest'

/// Applies a primitive to values: the innermost trace that owns an argument processes it.
/// Type errors get the user's call site here, once, at the innermost bind that hit them.
let bind (prim: Prim) (args: Value list) : Value list =
    try
        let trace = topTrace prim args
        if obj.ReferenceEquals(trace, evalTrace) then
            evalTrace.Process prim args
        else
            checkRaisable trace args
            trace.Process prim args |> lowerAll
    with :? CotangentException as e when e.CallSite.IsNone ->
        raise (CotangentException(e.Primitive, e.Detail, userCallSite ()))

/// `bind` for a primitive with one output.
let bind1 (prim: Prim) (args: Value list) : Value =
    match bind prim args with
    | [ v ] -> v
    | outs -> fail (Lax.name prim) $"expected one output, got {outs.Length}"

// ---------------------------------------------------------------------------------------------
// Staging: JaxprTrace builds a jaxpr from the primitives bound while it is the dynamic trace.

/// The avals of values.
let rec avalsOf (xs: Value list) = match xs with x :: rest -> Value.aval x :: avalsOf rest | [] -> []

/// The equation applying `prim` to `inputs`, whose outputs have the avals `outAvals` (the type
/// rule's, run by the caller before it made `inputs`).
let stagedAs (prim: Prim) (inputs: Atom list) (outAvals: Aval list) : Eqn<Prim> =
    let outs =
        match outAvals with
        | [ a ] -> [ Var.fresh a ]
        | many -> List.map Var.fresh many
    { Op = prim; Inputs = inputs; Outs = outs; Source = None }

/// The equation applying `prim` to `inputs`, its outputs fresh vars of the avals its type rule
/// gives (the regions' rules stage through here; a trace's Process types its operands first).
let staged (prim: Prim) (inputs: Atom list) : Eqn<Prim> =
    let rec avals (xs: Atom list) = match xs with x :: rest -> Atom.aval x :: avals rest | [] -> []
    stagedAs prim inputs (LaxTypes.abstractEval prim (avals inputs))

/// A staged equation's outputs as tracers (`wrap` makes one).
let inline tracers ([<InlineIfLambda>] wrap: Var -> Value) (outs: Var list) : Value list =
    match outs with
    | [ v ] -> [ wrap v ]
    | _ -> List.map wrap outs

let rec private sameAvals (xs: Value list) (avals: Aval list) =
    match xs, avals with
    | x :: xs, a :: avals -> obj.ReferenceEquals(Value.aval x, a) && sameAvals xs avals
    | [], [] -> true
    | _ -> false

/// What a staging trace accumulates: its equations in order, in pages of 1024 (no list cell per
/// equation while tracing, no array of a 26k-equation program's length on the large-object
/// heap), and the type rule's last operand avals and answer, reused for operands of the same
/// avals (and the same primitive object): what a traced loop stages again and again.
[<Sealed>]
type StagedEqns() =
    let pages = ResizeArray<Eqn<Prim>[]>()
    let mutable count = 0
    let mutable lastPrim: obj | null = null
    let mutable lastIns: Aval list = []
    let mutable lastOuts: Aval list = []

    member _.Add(e: Eqn<Prim>) =
        if count % 1024 = 0 then pages.Add(Array.zeroCreate 1024)
        pages[count / 1024][count % 1024] <- e
        count <- count + 1

    /// The equations in order.
    member _.ToList() =
        let mutable eqns = []
        for i in count - 1 .. -1 .. 0 do
            eqns <- pages[i / 1024][i % 1024] :: eqns
        eqns

    /// LaxTypes.abstractEval of `prim` on the avals of `args`.
    member _.TypeOf(prim: Prim, args: Value list) =
        let sameIns = sameAvals args lastIns
        if sameIns && obj.ReferenceEquals(prim, lastPrim) then lastOuts
        else
            let ins = if sameIns then lastIns else avalsOf args
            let outs = LaxTypes.abstractEval prim ins
            lastPrim <- prim
            lastIns <- ins
            lastOuts <- outs
            outs

    /// Drops everything, page contents too: a page promoted to an old generation and left
    /// holding equations would keep them through the card table (see withNewTrace).
    member _.Clear() =
        for page in pages do System.Array.Clear page
        pages.Clear()
        count <- 0
        lastPrim <- null
        lastIns <- []
        lastOuts <- []

/// A tracer that stands for an atom (a var or an inline literal) of the jaxpr being built.
type JaxprTracer(trace: Trace, atom: Atom) =
    inherit Tracer(trace)
    member _.Atom = atom
    override _.Aval = Atom.aval atom

/// Stages every primitive into equations. Scalar constants become literals (as JAX inlines
/// them); other constants and tracers of enclosing traces become constvars, one per value.
type JaxprTrace(level: int) =
    inherit Trace(level)
    let eqns = StagedEqns()
    let constVars = ResizeArray<Var * Value>()
    let constIndex = Dictionary<obj, Var>(byIdentity)

    member private this.ConstVar(key: obj, value: Value) =
        match constIndex.TryGetValue key with
        | true, v -> Traced(JaxprTracer(this, Var v))
        | _ ->
            let v = Var.fresh (Value.aval value)
            constIndex[key] <- v
            constVars.Add((v, value))
            Traced(JaxprTracer(this, Var v))

    member this.Eqns = eqns.ToList()
    member this.ConstVars = constVars |> Seq.map fst |> List.ofSeq
    member this.ConstValues = constVars |> Seq.map snd |> List.ofSeq

    /// The atom a value of this trace stands for.
    member this.AtomOf(v: Value) =
        match fullRaise this v with
        | Traced(:? JaxprTracer as t) when obj.ReferenceEquals(t.Trace, this) -> t.Atom
        | other -> fail "" $"staging expected a tracer of this jaxpr, got {Aval.str (Value.aval other)}"

    override this.Pure a =
        if a.Aval.Shape.Length = 0 then Traced(JaxprTracer(this, Lit a))
        else this.ConstVar(a, Concrete a)

    override this.Lift t = this.ConstVar(t, Traced t)

    override this.Release() =
        eqns.Clear()
        constVars.Clear()
        constIndex.Clear()

    member private this.Atoms(xs: Value list) = match xs with x :: rest -> this.AtomOf x :: this.Atoms rest | [] -> []

    override this.Process prim args =
        // The type rule runs before the equation's parts are made, so that its garbage does not
        // lie between them: a collection during a trace finds thousands of equations alive, and
        // moves the parts of each as one block when they lie together.
        let outAvals = eqns.TypeOf(prim, args)
        let e = stagedAs prim (this.Atoms args) outAvals
        eqns.Add e
        tracers (fun v -> Traced(JaxprTracer(this, Var v))) e.Outs

/// Stages `f` applied to fresh inputs of `inAvals` into a jaxpr. Returns the jaxpr and the
/// values of its constvars (concrete, or tracers of enclosing traces).
let traceToJaxpr (f: Value list -> Value list) (inAvals: Aval list) : Jaxpr<Prim> * Value list =
    withNewTrace JaxprTrace (fun (trace: JaxprTrace) ->
        withDynamic trace (fun () ->
            let invars = inAvals |> List.map Var.fresh
            let outs = invars |> List.map (fun v -> Traced(JaxprTracer(trace, Var v))) |> f |> List.map trace.AtomOf
            { ConstVars = trace.ConstVars; InVars = invars; Eqns = trace.Eqns; OutVars = outs }, trace.ConstValues))

/// Evaluates a jaxpr by binding each equation: under the current traces, this re-applies
/// every transformation in effect to the program.
let evalJaxpr (jaxpr: Jaxpr<Prim>) (consts: Value list) (args: Value list) : Value list =
    let env = Dictionary<Var, Value>()
    List.iter2 (fun v x -> env[v] <- x) jaxpr.ConstVars consts
    List.iter2 (fun v x -> env[v] <- x) jaxpr.InVars args
    let read atom =
        match atom with
        | Var v -> env[v]
        | Lit a -> Concrete a
    for eqn in jaxpr.Eqns do
        let outs = bind eqn.Op (eqn.Inputs |> List.map read)
        List.iter2 (fun v x -> env[v] <- x) eqn.Outs outs
    jaxpr.OutVars |> List.map read
