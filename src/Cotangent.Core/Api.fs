/// The transformations on F# functions over values (`Value list -> Value list`), which the C#
/// facade wraps: make_jaxpr, jvp, vjp, grad, vmap and jit.
/// Guarantees: a failed transformation leaves no trace state behind (see Tracing.withNewTrace).
module Cotangent.Core.Api

open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Tracing

/// jax.make_jaxpr: the jaxpr of `f` at the avals of `args` (weak types kept, as JAX keeps them).
let makeJaxpr (f: Value list -> Value list) (args: Value list) : ClosedJaxpr<Prim> =
    let jaxpr, consts = traceToJaxpr f (args |> List.map Value.aval)
    let concrete =
        consts |> List.map (fun c ->
            match c with
            | Concrete a -> a
            | Traced t -> fail "make_jaxpr" $"the function closes over a traced value ({Aval.str t.Aval}) of an enclosing transformation; pass it as an argument instead")
    { Jaxpr = jaxpr; Consts = concrete }

// ---------------------------------------------------------------------------------------------
// Differentiation. Reverse mode is linearize (jvp under partial evaluation: the primal runs,
// the linear tangent program is staged) followed by transposition of that linear jaxpr.

open Cotangent.Core.Passes
open Cotangent.Core.Passes.Jvp
open Cotangent.Core.Passes.PartialEval

/// jax.jvp: (f(primals), the directional derivative along tangents).
let jvp (f: Value list -> Value list) (primals: Value list) (tangents: Value list) : Value list * Value list =
    List.iter2 (fun (p: Value) (t: Value) ->
        let pa, ta = Value.aval p, Value.aval t
        if pa.Shape <> ta.Shape || pa.DType <> ta.DType then
            fail "jvp" $"a tangent must have its primal's shape and dtype: primal {Aval.str pa}, tangent {Aval.str ta}")
        primals tangents
    Jvp.jvp f primals tangents

/// A linear function as a jaxpr with its residuals: what linearize returns.
type Linearized = { Jaxpr: Jaxpr<Prim>; Residuals: Value list; InAvals: Aval list }

// has_aux: `f` also returns auxiliary values, which come back as primal values (their jvp
// tracers stripped, as JAX's jvp_subtrace_aux does) and are neither differentiated nor staged
// into the linear program.

/// jax.linearize(has_aux=True): f returns (outputs, aux); gives outputs, their linearization, aux.
let linearizeAux (f: Value list -> Value list * Value list) (primals: Value list) : Value list * Linearized * Value list =
    let n = primals.Length
    let inputs =
        (primals |> List.map KnownInput) @ (primals |> List.map (Value.aval >> tangentAval >> UnknownInput))
    let outCount = ref 0
    let jvpFun (args: Value list) =
        let ps, ts = List.splitAt n args
        let withAux (xs: Value list) =
            let outs, aux = f xs
            outCount.Value <- outs.Length
            outs @ aux
        let outs, touts = jvpTangents withAux ps (ts |> List.map NonZero)
        outs @ (touts |> List.take outCount.Value |> List.map instantiate)
    // the tangents of the outputs are the last outCount values; everything before is primal
    let known, jaxpr, residuals = traceToJaxprPartial jvpFun inputs (fun count i -> i >= count - outCount.Value)
    let primal =
        known |> List.take (known.Length - outCount.Value) |> List.map (fun v ->
            match v with
            | Some known -> known
            | None -> fail "linearize" "a primal output depends on a tangent")
    let outs, aux = List.splitAt outCount.Value primal
    outs, { Jaxpr = jaxpr; Residuals = residuals; InAvals = primals |> List.map (Value.aval >> tangentAval) }, aux

/// jax.linearize: f(primals) and the linear map of its derivative at primals (as a jaxpr).
let linearize (f: Value list -> Value list) (primals: Value list) : Value list * Linearized =
    let outs, lin, _ = linearizeAux (fun xs -> f xs, []) primals
    outs, lin

/// Applies a linearized function to tangents (by evaluating its jaxpr).
let applyLinear (lin: Linearized) (tangents: Value list) = evalJaxpr lin.Jaxpr lin.Residuals tangents

/// The transpose of a linearized function: output cotangents to input cotangents.
let transposeLinear (lin: Linearized) (cts: Value list) : Value list =
    Transpose.backwardPass lin.Jaxpr lin.Residuals (cts |> List.map NonZero)
    |> List.map2 (fun (aval: Aval) ct -> match ct with Zero _ -> zerosLike aval | NonZero v -> v) lin.InAvals

/// jax.vjp(has_aux=True): f(primals), the pullback of its outputs, and the aux values.
let vjpAux (f: Value list -> Value list * Value list) (primals: Value list) : Value list * (Value list -> Value list) * Value list =
    let outs, lin, aux = linearizeAux f primals
    let pullback (cts: Value list) =
        if cts.Length <> outs.Length then fail "vjp" $"the pullback takes {outs.Length} cotangent(s), got {cts.Length}"
        List.iter2 (fun (o: Value) (c: Value) ->
            let oa, ca = Value.aval o, Value.aval c
            if oa.Shape <> ca.Shape || oa.DType <> ca.DType then
                fail "vjp" $"a cotangent must have its output's shape and dtype: output {Aval.str oa}, cotangent {Aval.str ca}")
            outs cts
        transposeLinear lin cts
    outs, pullback, aux

/// jax.vjp: f(primals) and the pullback from output cotangents to input cotangents.
let vjp (f: Value list -> Value list) (primals: Value list) : Value list * (Value list -> Value list) =
    let outs, pullback, _ = vjpAux (fun xs -> f xs, []) primals
    outs, pullback

/// args with args[argnums[k]] replaced by dyn[k] (JAX's argnums_partial, applied).
let private substitute (argnums: int list) (args: Value list) (dyn: Value list) =
    args |> List.mapi (fun i a -> match List.tryFindIndex ((=) i) argnums with Some k -> dyn[k] | None -> a)

/// Differentiable argument numbers: in range, and of float dtype (as JAX's grad requires).
let private checkArgnums (name: string) (argnums: int list) (args: Value list) =
    for i in argnums do
        if i < 0 || i >= args.Length then
            fail name $"argnums {i} is out of range for a function of {args.Length} argument(s)"
        let a = Value.aval args[i]
        if not (DType.isFloat a.DType) then
            fail name $"requires real-valued (float) inputs, but argument {i} is {Aval.str a}; convert it with astype(float32) or leave it out of argnums"

/// jax.value_and_grad(has_aux=True): f returns (a scalar float, aux); gives the value, the
/// gradients with respect to args[i] for i in argnums, and aux.
let valueAndGradAux (f: Value list -> Value * Value list) (argnums: int list) (args: Value list) : Value * Value list * Value list =
    checkArgnums "grad" argnums args
    let partial (dyn: Value list) =
        let value, aux = f (substitute argnums args dyn)
        [ value ], aux
    let outs, pullback, aux = vjpAux partial (argnums |> List.map (fun i -> args[i]))
    let ans = outs.Head
    let a = Value.aval ans
    if a.Shape.Length <> 0 then
        fail "grad" $"requires a scalar output, got {Aval.str a}; use vjp or jacrev for non-scalar outputs"
    if not (DType.isFloat a.DType) then
        fail "grad" $"requires a real-valued (float) output, got {Aval.str a}"
    ans, pullback [ constLike ans 1.0 ], aux

/// jax.value_and_grad with integer argnums: f(args) (a scalar float) and its gradient with
/// respect to args[i] for each i in argnums; the other arguments are held constant.
let valueAndGrad (f: Value list -> Value) (argnums: int list) (args: Value list) : Value * Value list =
    let value, grads, _ = valueAndGradAux (fun xs -> f xs, []) argnums args
    value, grads

/// jax.grad.
let grad (f: Value list -> Value) (argnums: int list) (args: Value list) : Value list = snd (valueAndGrad f argnums args)

// ---------------------------------------------------------------------------------------------
// Batching.

/// jax.vmap: `f` mapped over axis inAxes[i] of argument i (None: the argument is shared by every
/// example; negative axes count from the end), its outputs stacked along outAxes.
let vmap (f: Value list -> Value list) (inAxes: int option list) (outAxes: int option list) (args: Value list) : Value list =
    Vmap.vmap f inAxes outAxes args

// ---------------------------------------------------------------------------------------------
// Jacobians, built as JAX builds them: jacfwd is vmap of jvp over the standard basis of the
// inputs (an eye made of iota / eq / convert_element_type), jacrev vmap of the pullback over
// the basis of the outputs; hessian = jacfwd of jacrev.

/// JAX's _unravel_array_into_pytree: splits `arr` along `axis` into one piece per leaf (a slice
/// each, as jnp.split makes them), reshapes each to arr.shape[:axis] + leaf.shape +
/// arr.shape[axis+1:], and casts it to the dtype and weak type of `example` (or of its leaf).
let private unravel (leaves: Aval list) (axis: int) (example: Aval option) (arr: Value) : Value list =
    let shape = (Value.aval arr).Shape
    let axis = if axis < 0 then axis + shape.Length else axis
    let offsets = List.scan (+) 0 (leaves |> List.map Aval.size)
    leaves |> List.mapi (fun i leaf ->
        let starts = List.init shape.Length (fun d -> if d = axis then offsets[i] else 0)
        let limits = List.init shape.Length (fun d -> if d = axis then offsets[i + 1] else shape[d])
        let piece = LaxOps.slice starts limits None arr
        let target = Array.concat [ shape[.. axis - 1]; leaf.Shape; shape[axis + 1 ..] ]
        let reshaped = if (Value.aval piece).Shape = target then piece else LaxOps.reshape (List.ofArray target) piece
        let cast = defaultArg example leaf
        Numpy.convert (cast.DType, cast.Weak) reshaped)

/// _std_basis: eye(n) over the flattened leaves, one piece per leaf of shape (n,) + leaf.shape.
let private stdBasis (leaves: Value list) : Value list =
    let avals = leaves |> List.map Value.aval
    let n = avals |> List.sumBy Aval.size
    let dtype, _ = Numpy.resultType avals
    unravel avals 1 None (NumpyArrays.eye dtype n n)

/// f with only the arguments at `argnums` free (JAX's argnums_partial).
let private partialAt (f: Value list -> Value list) (argnums: int list) (args: Value list) (dyn: Value list) =
    f (substitute argnums args dyn)

/// jax.jacfwd: for each output i and each argnum j, d out_i / d arg_j of shape out_i.shape + arg_j.shape.
let jacfwd (f: Value list -> Value list) (argnums: int list) (args: Value list) : Value list list =
    checkArgnums "jacfwd" argnums args
    let dyn = argnums |> List.map (fun i -> args[i])
    let pushfwd (basis: Value list) =
        let ys, ts = jvp (partialAt f argnums args) dyn basis
        ys @ ts
    let basis = stdBasis dyn
    // outputs come as ys @ jacobians: out_axes (None, ..., -1, ...) as JAX's (None, -1)
    let outs = Vmap.vmapOut pushfwd (basis |> List.map (fun _ -> Some 0)) (fun n -> List.replicate (n / 2) None @ List.replicate (n / 2) (Some -1)) basis
    let ys, jacs = List.splitAt (outs.Length / 2) outs
    List.map2 (fun y jac -> unravel (dyn |> List.map Value.aval) -1 (Some(Value.aval y)) jac) ys jacs

/// jax.jacrev: the same Jacobians, by vmap of the pullback over the outputs' standard basis.
let jacrev (f: Value list -> Value list) (argnums: int list) (args: Value list) : Value list list =
    checkArgnums "jacrev" argnums args
    let dyn = argnums |> List.map (fun i -> args[i])
    let ys, pullback = vjp (partialAt f argnums args) dyn
    let basis = stdBasis ys
    let perArg = vmap pullback (basis |> List.map (fun _ -> Some 0)) (dyn |> List.map (fun _ -> Some 0)) basis
    // perArg[j] has shape (sum of output sizes,) + arg_j.shape: split rows per output
    let rows = List.map2 (fun (arg: Value) r -> unravel (ys |> List.map Value.aval) 0 (Some(Value.aval arg)) r) dyn perArg
    ys |> List.mapi (fun i _ -> rows |> List.map (fun r -> r[i]))

/// jax.hessian = jacfwd(jacrev(f)): for a scalar f, d2f / d arg_j d arg_k.
let hessian (f: Value list -> Value) (argnums: int list) (args: Value list) : Value list list =
    let gradients (xs: Value list) = jacrev (fun a -> [ f a ]) argnums xs |> List.head
    jacfwd gradients argnums args

/// jax.vmap with one out_axes for every output (JAX's integer out_axes), for callers that learn
/// the number of outputs only by tracing `f`.
let vmapAllOut (f: Value list -> Value list) (inAxes: int option list) (outAxis: int option) (args: Value list) : Value list =
    Vmap.vmapOut f inAxes (fun n -> List.replicate n outAxis) args

// ---------------------------------------------------------------------------------------------
// jit: a function staged once per signature into a closed jaxpr and bound as one pjit equation,
// which every transformation handles by its pjit rule. Called on concrete arrays outside any
// transformation, the region runs as a compiled executable (Jit.fs), compiled once per region
// and flags.

/// How a jitted function compiles: pass-manager flags (as in COTANGENT_FLAGS, which is read when
/// a signature is compiled and applied first) and where dumps and reports go.
type JitConfig =
    { Flags: string
      Sink: string -> unit }

module JitConfig =
    let defaults = { Flags = ""; Sink = eprintf "%s" }

/// Compiled executables per region and flag string; held weakly by the region (which a Jitted's
/// trace cache owns), so both caches are bounded together.
let private executables =
    System.Runtime.CompilerServices.ConditionalWeakTable<ClosedJaxpr<Prim>, System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Jit.Compiled>>>()

/// The executable of `closed` under `config`: compiled on first use, then cached.
let compiled (config: JitConfig) (closed: ClosedJaxpr<Prim>) : Jit.Compiled =
    let perFlags = executables.GetValue(closed, fun _ -> System.Collections.Concurrent.ConcurrentDictionary())
    let make (flags: string) =
        Lazy<Jit.Compiled>(fun () ->
            let options = PassManager.parseFlags flags (PassManager.fromEnvironment PassManager.Options.empty)
            Jit.compileWith options config.Sink closed)
    perFlags.GetOrAdd(config.Flags, make).Value

/// How many signatures a jitted function keeps traced regions for; a full cache is cleared.
[<Literal>]
let JitCacheCapacity = 64

/// jax.jit of `f`, named `name` in the pjit it binds. Regions are cached by the arguments'
/// avals (shape, dtype, weak type); a new signature is traced once (two threads racing on the
/// same new signature may both trace it). A region that closes over tracers of an enclosing
/// transformation is traced at every call and not cached, as its inputs include those tracers.
type Jitted(name: string, f: Value list -> Value list, config: JitConfig) =
    let cache = System.Collections.Concurrent.ConcurrentDictionary<Aval list, ClosedJaxpr<Prim>>(HashIdentity.Structural)
    let traces = ref 0

    new(name, f) = Jitted(name, f, JitConfig.defaults)

    /// The name of the pjit equations it binds.
    member _.Name = name

    /// How many times `f` has been traced (once per signature while the cache holds it).
    member _.TraceCount = System.Threading.Volatile.Read(&traces.contents)

    /// The region for arguments of `avals` and the captured tracers to pass before the arguments.
    member _.Region(avals: Aval list) : ClosedJaxpr<Prim> * Value list =
        match cache.TryGetValue avals with
        | true, closed -> closed, []
        | _ ->
            System.Threading.Interlocked.Increment(&traces.contents) |> ignore
            let closed, captured = Numpy.traceRegion f avals
            if captured.IsEmpty then
                if cache.Count >= JitCacheCapacity then cache.Clear()
                cache.TryAdd(avals, closed) |> ignore
            closed, captured

    /// The region for `args` lowered and optimized: jax.jit(f).lower(args).compile().
    member this.Compile(avals: Aval list) : Jit.Compiled =
        match this.Region avals with
        | closed, [] -> compiled config closed
        | _ -> raise (CotangentException("jit", $"{name} closes over values of an enclosing transformation; it can be compiled only where it is called", None))

    /// f(args): the compiled region on concrete arguments outside any transformation, else
    /// bound as a pjit under the current traces.
    member this.Call(args: Value list) : Value list =
        let closed, captured = this.Region(args |> List.map Value.aval)
        let arrays = args |> List.choose (function Concrete a -> Some a | Traced _ -> None)
        // no trace on the stack: nothing stages or transforms this call
        if captured.IsEmpty && arrays.Length = args.Length && nextLevel () = 1 then
            (compiled config closed).Run arrays |> List.map Concrete
        else bind (Pjit(name, closed)) (captured @ args)

/// jax.jit: `f` staged as a pjit named `name` (see Jitted).
let jit (name: string) (f: Value list -> Value list) : Value list -> Value list = Jitted(name, f).Call
