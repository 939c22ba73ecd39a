/// The verifier accepts what tracing builds and names each way a jaxpr can be ill formed:
/// a use before definition, a second binding, an equation whose types disagree with its rule.
module Cotangent.Core.Tests.VerifierTests

open Xunit
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax

let f32 = Aval.make F32 [| 3 |]
let eqn op inputs outs = { Op = op; Inputs = inputs; Outs = outs; Source = None }

[<Fact>]
let ``a well-formed jaxpr verifies`` () =
    let a, b = Var.fresh f32, Var.fresh f32
    let jaxpr = { ConstVars = []; InVars = [ a ]; Eqns = [ eqn Sin [ Var a ] [ b ] ]; OutVars = [ Var b ] }
    Assert.Empty(LaxVerify.verify jaxpr)

[<Fact>]
let ``a use before definition is reported`` () =
    let a, b, c = Var.fresh f32, Var.fresh f32, Var.fresh f32
    let jaxpr = { ConstVars = []; InVars = [ a ]; Eqns = [ eqn Sin [ Var c ] [ b ]; eqn Cos [ Var a ] [ c ] ]; OutVars = [ Var b ] }
    let problems = LaxVerify.verify jaxpr
    Assert.Contains(problems, fun p -> p.Contains "equation 0 (sin) uses var" && p.Contains "before it is bound")

[<Fact>]
let ``a var bound twice is reported`` () =
    let a, b = Var.fresh f32, Var.fresh f32
    let jaxpr = { ConstVars = []; InVars = [ a ]; Eqns = [ eqn Sin [ Var a ] [ b ]; eqn Cos [ Var a ] [ b ] ]; OutVars = [ Var b ] }
    Assert.Contains(LaxVerify.verify jaxpr, fun p -> p.Contains "equation 1 (cos) rebinds var")

[<Fact>]
let ``an equation whose outputs disagree with its type rule is reported`` () =
    let a, b = Var.fresh f32, Var.fresh (Aval.make F32 [| 4 |])
    let jaxpr = { ConstVars = []; InVars = [ a ]; Eqns = [ eqn Sin [ Var a ] [ b ] ]; OutVars = [ Var b ] }
    Assert.Contains(LaxVerify.verify jaxpr, fun p -> p.Contains "binds f32[4] but its type rule gives f32[3]")

[<Fact>]
let ``an ill-typed equation is reported with the rule's message`` () =
    let a, b, c = Var.fresh f32, Var.fresh (Aval.make I32 [| 3 |]), Var.fresh f32
    let jaxpr = { ConstVars = []; InVars = [ a; b ]; Eqns = [ eqn Add [ Var a; Var b ] [ c ] ]; OutVars = [ Var c ] }
    Assert.Contains(LaxVerify.verify jaxpr, fun p -> p.Contains "ill-typed" && p.Contains "same dtypes")

[<Fact>]
let ``a region is verified in its own scope`` () =
    let x, y = Var.fresh f32, Var.fresh f32
    let outer = Var.fresh f32
    // the region uses a var of the enclosing jaxpr: regions are closed, so this is an error
    let region = { ConstVars = []; InVars = [ x ]; Eqns = [ eqn Sin [ Var outer ] [ y ] ]; OutVars = [ Var y ] }
    let r = Var.fresh f32
    let jaxpr =
        { ConstVars = []; InVars = [ outer ]
          Eqns = [ eqn (Pjit("f", { Jaxpr = region; Consts = [] })) [ Var outer ] [ r ] ]
          OutVars = [ Var r ] }
    Assert.Contains(LaxVerify.verify jaxpr, fun p -> p.StartsWith "equation 0 (pjit): equation 0 (sin) uses var")
