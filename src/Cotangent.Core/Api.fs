/// The transformations on F# functions over values (`Value list -> Value list`), which the C#
/// facade wraps: make_jaxpr now; jvp, vjp, grad, vmap and jit join it as they land.
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
