/// Tracing.fs's trace lifecycle: a trace that has returned keeps nothing of what it staged, also
/// when its transformation failed (a dead trace reached through a stale reference must not hold a
/// program alive).
module Cotangent.Core.Tests.TracingTests

open Xunit
open Cotangent.Core
open Cotangent.Core.Tracing
open Cotangent.Core.Passes.PartialEval
module L = Cotangent.Core.LaxOps

let private vector () = Concrete(NdArray.full F32 [| 3 |] 2.0)

/// Stages sin(x) * c, with c a closed-over array (a constvar), into `trace`; returns the result.
let private stageInto (trace: JaxprTrace) =
    withDynamic trace (fun () ->
        let x = Traced(JaxprTracer(trace, Var(Var.fresh (Aval.make F32 [| 3 |]))))
        L.mul (L.sin x) (vector ()))

[<Fact>]
let ``a staging trace drops its equations and constvars once its transformation returns`` () =
    let mutable dead = None
    withNewTrace JaxprTrace (fun (trace: JaxprTrace) ->
        stageInto trace |> ignore
        Assert.Equal(2, trace.Eqns.Length)
        Assert.Equal(1, trace.ConstVars.Length)
        dead <- Some trace)
    Assert.False(dead.Value.IsAlive)
    Assert.Empty(dead.Value.Eqns)
    Assert.Empty(dead.Value.ConstVars)
    Assert.Empty(dead.Value.ConstValues)

[<Fact>]
let ``a staging trace whose body throws is released too`` () =
    let mutable dead = None
    let ex =
        Assert.Throws<CotangentException>(fun () ->
            withNewTrace JaxprTrace (fun (trace: JaxprTrace) ->
                dead <- Some trace
                let y = stageInto trace
                // f32[3] + f32[4]: a type error after two equations were staged
                withDynamic trace (fun () -> L.add y (Concrete(NdArray.full F32 [| 4 |] 1.0)))) |> ignore)
    Assert.Contains("add", ex.Message)
    Assert.Empty(dead.Value.Eqns)
    Assert.Empty(dead.Value.ConstVars)

[<Fact>]
let ``a partial-evaluation trace drops its staged equations and residuals once it returns`` () =
    let mutable pe: PeTrace option = None
    let f (args: Value list) =
        match args with
        | [ known; unknown ] ->
            pe <- (match unknown with Traced t -> Some(t.Trace :?> PeTrace) | Concrete _ -> None)
            // sin(known) is computed now and read by the staged mul as a residual
            let y = L.mul unknown (L.sin known)
            Assert.Equal(1, pe.Value.Eqns.Length)
            Assert.Equal(1, pe.Value.Residuals.Length)
            [ y ]
        | _ -> failwith "two inputs"
    let _, jaxpr, residuals = traceToJaxprPartial f [ KnownInput(vector ()); UnknownInput(Aval.make F32 [| 3 |]) ] (fun _ _ -> false)
    Assert.Equal(1, jaxpr.Eqns.Length)
    Assert.Equal(1, residuals.Length)
    Assert.False(pe.Value.IsAlive)
    Assert.Empty(pe.Value.Eqns)
    Assert.Empty(pe.Value.Residuals)
