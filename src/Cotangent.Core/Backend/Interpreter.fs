/// TEMPORARY stand-in until the interpreter branch lands (replaced on merge).
module Cotangent.Core.Backend.Interpreter

open Cotangent.Core
open Cotangent.Core.Dialects.Lax

let eval (prim: Prim) (args: NdArray list) : NdArray list =
    let outs = Cotangent.Core.Dialects.LaxTypes.abstractEval prim (args |> List.map (fun a -> a.Aval))
    outs |> List.map (fun a -> NdArray.create a.Weak a.Shape (NdArray.bufferOfFloats a.DType (Array.zeroCreate (Aval.size a))))

let evalJaxpr (jaxpr: Jaxpr<Prim>) (consts: NdArray list) (args: NdArray list) : NdArray list = ignore (jaxpr, consts, args); []
