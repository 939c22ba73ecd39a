/// The transformations on F# functions over values (`Value list -> Value list`), which the C#
/// facade wraps: make_jaxpr, jvp, vjp, grad and vmap; jit joins them when it lands.
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

/// jax.linearize: f(primals) and the linear map of its derivative at primals (as a jaxpr).
let linearize (f: Value list -> Value list) (primals: Value list) : Value list * Linearized =
    let n = primals.Length
    let inputs =
        (primals |> List.map KnownInput) @ (primals |> List.map (Value.aval >> tangentAval >> UnknownInput))
    let jvpFun (args: Value list) =
        let ps, ts = List.splitAt n args
        let outs, touts = jvpTangents f ps (ts |> List.map NonZero)
        outs @ (touts |> List.map instantiate)
    let known, jaxpr, residuals = traceToJaxprPartial jvpFun inputs (fun count i -> i >= count / 2)
    let outs = known |> List.take (known.Length / 2) |> List.map (fun v ->
        match v with
        | Some known -> known
        | None -> fail "linearize" "a primal output depends on a tangent")
    outs, { Jaxpr = jaxpr; Residuals = residuals; InAvals = primals |> List.map (Value.aval >> tangentAval) }

/// Applies a linearized function to tangents (by evaluating its jaxpr).
let applyLinear (lin: Linearized) (tangents: Value list) = evalJaxpr lin.Jaxpr lin.Residuals tangents

/// The transpose of a linearized function: output cotangents to input cotangents.
let transposeLinear (lin: Linearized) (cts: Value list) : Value list =
    Transpose.backwardPass lin.Jaxpr lin.Residuals (cts |> List.map NonZero)
    |> List.map2 (fun (aval: Aval) ct -> match ct with Zero _ -> zerosLike aval | NonZero v -> v) lin.InAvals

/// jax.vjp: f(primals) and the pullback from output cotangents to input cotangents.
let vjp (f: Value list -> Value list) (primals: Value list) : Value list * (Value list -> Value list) =
    let outs, lin = linearize f primals
    let pullback (cts: Value list) =
        if cts.Length <> outs.Length then fail "vjp" $"the pullback takes {outs.Length} cotangent(s), got {cts.Length}"
        List.iter2 (fun (o: Value) (c: Value) ->
            let oa, ca = Value.aval o, Value.aval c
            if oa.Shape <> ca.Shape || oa.DType <> ca.DType then
                fail "vjp" $"a cotangent must have its output's shape and dtype: output {Aval.str oa}, cotangent {Aval.str ca}")
            outs cts
        transposeLinear lin cts
    outs, pullback

/// jax.value_and_grad with integer argnums: f(args) (a scalar float) and its gradient with
/// respect to args[i] for each i in argnums; the other arguments are held constant.
let valueAndGrad (f: Value list -> Value) (argnums: int list) (args: Value list) : Value * Value list =
    for i in argnums do
        if i < 0 || i >= args.Length then
            fail "grad" $"argnums {i} is out of range for a function of {args.Length} argument(s)"
        let a = Value.aval args[i]
        if not (DType.isFloat a.DType) then
            fail "grad" $"requires real-valued (float) inputs, but argument {i} is {Aval.str a}; convert it with astype(float32) or leave it out of argnums"
    let partial (dyn: Value list) =
        let full = args |> List.mapi (fun i a -> match List.tryFindIndex ((=) i) argnums with Some k -> dyn[k] | None -> a)
        [ f full ]
    let outs, pullback = vjp partial (argnums |> List.map (fun i -> args[i]))
    let ans = outs.Head
    let a = Value.aval ans
    if a.Shape.Length <> 0 then
        fail "grad" $"requires a scalar output, got {Aval.str a}; use vjp or jacrev for non-scalar outputs"
    if not (DType.isFloat a.DType) then
        fail "grad" $"requires a real-valued (float) output, got {Aval.str a}"
    ans, pullback [ constLike ans 1.0 ]

/// jax.grad.
let grad (f: Value list -> Value) (argnums: int list) (args: Value list) : Value list = snd (valueAndGrad f argnums args)

// ---------------------------------------------------------------------------------------------
// Batching.

/// jax.vmap: `f` mapped over axis inAxes[i] of argument i (None: the argument is shared by every
/// example; negative axes count from the end), its outputs stacked along outAxes.
let vmap (f: Value list -> Value list) (inAxes: int option list) (outAxes: int option list) (args: Value list) : Value list =
    Vmap.vmap f inAxes outAxes args
