/// Reverse mode prints as JAX prints it: make_jaxpr(grad(f)) for the seed's function.
module Cotangent.Core.Tests.GradJaxprTests

open Xunit
open Cotangent.Core
open Cotangent.Core.Tracing
open Cotangent.Core.Tests.JaxprTextTests
module N = Cotangent.Core.Numpy

let seed (args: Value list) =
    let x1, x2 = args[0], args[1]
    N.multiply (N.subtract (N.divide x1 x2) (N.exp x2)) (N.subtract (N.add (N.sin (N.divide x1 x2)) (N.divide x1 x2)) (N.exp x2))

[<Fact>]
let ``make_jaxpr of grad of the seed prints as JAX prints it`` () =
    let expected =
        lines
            [ "{ lambda ; a:f32[] b:f32[]. let"
              "    c:f32[] = div a b"
              "    d:f32[] = exp b"
              "    e:f32[] = sub c d"
              "    f:f32[] = div a b"
              "    g:f32[] = sin f"
              "    h:f32[] = cos f"
              "    i:f32[] = div a b"
              "    j:f32[] = add g i"
              "    k:f32[] = exp b"
              "    l:f32[] = sub j k"
              "    _:f32[] = mul e l"
              "    m:f32[] = mul e 1.0"
              "    n:f32[] = mul 1.0 l"
              "    o:f32[] = div m b"
              "    p:f32[] = mul m h"
              "    q:f32[] = div p b"
              "    r:f32[] = add_any o q"
              "    s:f32[] = div n b"
              "    t:f32[] = add_any r s"
              "  in (t,) }" ]
    Assert.Equal(expected, print (Api.grad seed [ 0 ]) [ weakScalar; weakScalar ])
