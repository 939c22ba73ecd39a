/// Derivatives print as JAX prints them: make_jaxpr of grad and jacfwd of the seed's function.
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

[<Fact>]
let ``make_jaxpr of jacfwd of the seed follows JAX's construction equation for equation`` () =
    // Derived from JAX 0.4.2x's jacfwd: _std_basis = jnp.eye (iota, add, iota, eq, convert),
    // split (slice), reshape and _possible_downcast to the weak input; vmap of jvp with
    // out_axes (None, -1); _jacfwd_unravel (slice, reshape). The primal output is unused (_).
    let expected =
        lines
            [ "{ lambda ; a:f32[] b:f32[]. let"
              "    c:i32[1,1] = iota[dimension=0 dtype=int32 shape=(1, 1)] "
              "    d:i32[1,1] = add c 0"
              "    e:i32[1,1] = iota[dimension=1 dtype=int32 shape=(1, 1)] "
              "    f:bool[1,1] = eq d e"
              "    g:f32[1,1] = convert_element_type[new_dtype=float32 weak_type=False] f"
              "    h:f32[1,1] = slice[limit_indices=(1, 1) start_indices=(0, 0) strides=None] g"
              "    i:f32[1] = reshape[dimensions=None new_sizes=(1,)] h"
              "    j:f32[1] = convert_element_type[new_dtype=float32 weak_type=True] i"
              "    k:f32[] = div a b"
              "    l:f32[1] = div j b"
              "    m:f32[] = exp b"
              "    n:f32[] = sub k m"
              "    o:f32[] = div a b"
              "    p:f32[1] = div j b"
              "    q:f32[] = sin o"
              "    r:f32[] = cos o"
              "    s:f32[1] = mul p r"
              "    t:f32[] = div a b"
              "    u:f32[1] = div j b"
              "    v:f32[] = add q t"
              "    w:f32[1] = add s u"
              "    x:f32[] = exp b"
              "    y:f32[] = sub v x"
              "    _:f32[] = mul n y"
              "    z:f32[1] = mul l y"
              "    ba:f32[1] = mul n w"
              "    bb:f32[1] = add_any z ba"
              "    bc:f32[1] = slice[limit_indices=(1,) start_indices=(0,) strides=None] bb"
              "    bd:f32[] = reshape[dimensions=None new_sizes=()] bc"
              "  in (bd,) }" ]
    Assert.Equal(expected, print (fun args -> Api.jacfwd (fun a -> [ seed a ]) [ 0 ] args |> List.concat) [ weakScalar; weakScalar ])

[<Fact>]
let ``integer_pow's jvp special-cases the exponents 0, 1 and 2`` () =
    let jvpText (y: int) =
        print (fun args -> let _, t = Api.jvp (fun a -> [ LaxOps.integerPow y a[0] ]) [ args[0] ] [ args[1] ] in t) [ weakScalar; weakScalar ]
    // y = 1: the tangent itself; y = 2: g * (2 * x) with no integer_pow of 1; y = 3: x ** 2
    Assert.Equal("{ lambda ; a:f32[] b:f32[]. let _:f32[] = integer_pow[y=1] a in (b,) }", jvpText 1)
    Assert.Equal(
        lines [ "{ lambda ; a:f32[] b:f32[]. let"; "    _:f32[] = integer_pow[y=2] a"; "    c:f32[] = mul 2.0 a"; "    d:f32[] = mul b c"; "  in (d,) }" ],
        jvpText 2)
    Assert.Contains("integer_pow[y=2] a", jvpText 3)
