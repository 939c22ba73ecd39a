/// Golden jaxprs: programs traced through jnp and printed, compared byte for byte with what
/// JAX's make_jaxpr prints for the same Python program (shown in each test's comment).
module Cotangent.Core.Tests.JaxprTextTests

open Xunit
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Tracing
module N = Cotangent.Core.Numpy
module A = Cotangent.Core.NumpyArrays

let f32 (shape: int list) = Aval.make F32 (Array.ofList shape)
let weakScalar = { Aval.scalar F32 with Weak = true }

/// make_jaxpr of `f` at `avals`, printed; the jaxpr must also verify.
let print (f: Value list -> Value list) (avals: Aval list) =
    let jaxpr, _ = traceToJaxpr f avals
    Assert.Empty(LaxVerify.verify jaxpr)
    LaxText.print jaxpr

/// Lines joined with newlines.
let lines (xs: string list) = System.String.Join("\n", xs)

let scalarConst (x: float) = Concrete(NdArray.scalar F32 true x)

[<Fact>]
let ``the seed's function prints as JAX prints it`` () =
    // f = lambda x1, x2: (x1/x2 - jnp.exp(x2)) * (jnp.sin(x1/x2) + x1/x2 - jnp.exp(x2))
    let f (args: Value list) =
        let x1, x2 = args[0], args[1]
        let l = N.subtract (N.divide x1 x2) (N.exp x2)
        let r = N.subtract (N.add (N.sin (N.divide x1 x2)) (N.divide x1 x2)) (N.exp x2)
        [ N.multiply l r ]
    let expected =
        lines
            [ "{ lambda ; a:f32[] b:f32[]. let"
              "    c:f32[] = div a b"
              "    d:f32[] = exp b"
              "    e:f32[] = sub c d"
              "    f:f32[] = div a b"
              "    g:f32[] = sin f"
              "    h:f32[] = div a b"
              "    i:f32[] = add g h"
              "    j:f32[] = exp b"
              "    k:f32[] = sub i j"
              "    l:f32[] = mul e k"
              "  in (l,) }" ]
    Assert.Equal(expected, print f [ weakScalar; weakScalar ])

[<Fact>]
let ``a short jaxpr prints on one line with '; ' between equations`` () =
    // jax.make_jaxpr(lambda x: jnp.sin(x) * 2.0)(1.0)
    let f (args: Value list) = [ N.multiply (N.sin args[0]) (scalarConst 2.0) ]
    Assert.Equal("{ lambda ; a:f32[]. let b:f32[] = sin a; c:f32[] = mul b 2.0 in (c,) }", print f [ weakScalar ])

[<Fact>]
let ``a jaxpr one column too wide for 80 breaks into lines`` () =
    // 85 columns flat (the closing " }" is not counted): one equation per line
    let f (args: Value list) = [ N.multiply (N.cos (N.sin args[0])) (scalarConst 2.0) ]
    Assert.Equal(lines [ "{ lambda ; a:f32[]. let"; "    b:f32[] = sin a"; "    c:f32[] = cos b"; "    d:f32[] = mul c 2.0"; "  in (d,) }" ], print f [ weakScalar ])

[<Fact>]
let ``a jaxpr with no equations keeps two spaces between let and in`` () =
    Assert.Equal("{ lambda ; a:f32[3]. let  in (a,) }", print id [ f32 [ 3 ] ])

[<Fact>]
let ``two outputs print as a tuple and a literal output prints bare`` () =
    let f (args: Value list) = [ N.sin args[0]; scalarConst 1.0 ]
    Assert.Equal("{ lambda ; a:f32[]. let b:f32[] = sin a in (b, 1.0) }", print f [ weakScalar ])

[<Fact>]
let ``params, a non-scalar constant and an unused output`` () =
    // c = jnp.array([1., 2., 3.])
    // def f(x): y = x * c; jnp.sin(y); return jnp.sum(y)
    let c = Concrete(NdArray.ofFloat32 [| 3 |] [| 1.0f; 2.0f; 3.0f |])
    let f (args: Value list) =
        let y = N.multiply args[0] c
        N.sin y |> ignore
        [ A.sum None false y ]
    let expected =
        lines
            [ "{ lambda a:f32[3]; b:f32[3]. let"
              "    c:f32[3] = mul b a"
              "    _:f32[3] = sin c"
              "    d:f32[] = reduce_sum[axes=(0,)] c"
              "  in (d,) }" ]
    Assert.Equal(expected, print f [ f32 [ 3 ] ])

[<Fact>]
let ``shape params print with JAX's spelling`` () =
    // def f(x, y): return jnp.reshape(x, (3, 2)) @ y.T + 1
    //   x: f32[2,3], y: f32[4,2]
    let f (args: Value list) =
        let x, y = args[0], args[1]
        [ N.add (A.matmul (A.reshape [ 3; 2 ] x) (A.transpose None y)) (Concrete(NdArray.scalar I32 true 1.0)) ]
    let expected =
        lines
            [ "{ lambda ; a:f32[2,3] b:f32[4,2]. let"
              "    c:f32[3,2] = reshape[dimensions=None new_sizes=(3, 2)] a"
              "    d:f32[2,4] = transpose[permutation=(1, 0)] b"
              "    e:f32[3,4] = dot_general["
              "      dimension_numbers=(([1], [0]), ([], []))"
              "      preferred_element_type=float32"
              "    ] c d"
              "    f:f32[3,4] = add e 1.0"
              "  in (f,) }" ]
    Assert.Equal(expected, print f [ f32 [ 2; 3 ]; f32 [ 4; 2 ] ])

[<Fact>]
let ``rank promotion, dtype promotion and an equation with no inputs`` () =
    // def f(x, i): return x + jnp.ones((2, 3)) * i + jnp.arange(3)
    //   x: f32[3], i: i32[]
    let f (args: Value list) =
        let x, i = args[0], args[1]
        [ N.add (N.add x (N.multiply (A.full F32 [ 2; 3 ] 1.0) i)) (A.arange I32 3) ]
    let expected =
        lines
            [ "{ lambda ; a:f32[3] b:i32[]. let"
              "    c:f32[2,3] = broadcast_in_dim[broadcast_dimensions=() shape=(2, 3)] 1.0"
              "    d:f32[] = convert_element_type[new_dtype=float32 weak_type=False] b"
              "    e:f32[2,3] = mul c d"
              "    f:f32[1,3] = broadcast_in_dim[broadcast_dimensions=(1,) shape=(1, 3)] a"
              "    g:f32[2,3] = add f e"
              "    h:i32[3] = iota[dimension=0 dtype=int32 shape=(3,)] "
              "    i:f32[3] = convert_element_type[new_dtype=float32 weak_type=False] h"
              "    j:f32[1,3] = broadcast_in_dim[broadcast_dimensions=(1,) shape=(1, 3)] i"
              "    k:f32[2,3] = add g j"
              "  in (k,) }" ]
    Assert.Equal(expected, print f [ f32 [ 3 ]; Aval.scalar I32 ])

[<Fact>]
let ``a region prints nested, and its vars continue the naming`` () =
    // jax.make_jaxpr(jnp.where)(c, x, y) with c: bool[3], x, y: f32[3]
    let f (args: Value list) = [ N.where args[0] args[1] args[2] ]
    let expected =
        lines
            [ "{ lambda ; a:bool[3] b:f32[3] c:f32[3]. let"
              "    d:f32[3] = pjit["
              "      name=_where"
              "      jaxpr={ lambda ; e:bool[3] f:f32[3] g:f32[3]. let"
              "          h:f32[3] = select_n e g f"
              "        in (h,) }"
              "    ] a b c"
              "  in (d,) }" ]
    Assert.Equal(expected, print f [ Aval.make Bool [| 3 |]; f32 [ 3 ]; f32 [ 3 ] ])

[<Fact>]
let ``more than 26 variables are named ba, bb, ...`` () =
    let f (args: Value list) = [ Seq.fold (fun x _ -> N.sin x) args[0] (seq { 1..28 }) ]
    let text = print f [ f32 [] ]
    let lines = text.Split '\n'
    Assert.Equal("{ lambda ; a:f32[]. let", lines[0])
    Assert.Equal("    b:f32[] = sin a", lines[1])
    Assert.Equal("    z:f32[] = sin y", lines[25])
    Assert.Equal("    ba:f32[] = sin z", lines[26])
    Assert.Equal("    bb:f32[] = sin ba", lines[27])
    Assert.Equal("    bc:f32[] = sin bb", lines[28])
    Assert.Equal("  in (bc,) }", lines[29])

[<Fact>]
let ``variable names follow JAX's alphabetic numerals`` () =
    Assert.Equal<string list>([ "a"; "z"; "ba"; "bz"; "ca"; "zz"; "baa" ], [ 0; 25; 26; 51; 52; 675; 676 ] |> List.map LaxText.varName)

[<Fact>]
let ``literals print as Python prints the scalar`` () =
    let lit dtype weak x = LaxText.literalText (NdArray.scalar dtype weak x)
    Assert.Equal("1.0", lit F32 false 1.0)
    Assert.Equal("0.1", lit F32 false 0.1)
    Assert.Equal("0.10000000149011612", lit F32 true 0.1)
    Assert.Equal("1e-05", lit F64 false 1e-5)
    Assert.Equal("1e+16", lit F64 false 1e16)
    Assert.Equal("1234.5", lit F64 false 1234.5)
    Assert.Equal("-0.0", lit F32 false -0.0)
    Assert.Equal("inf", lit F32 false infinity)
    Assert.Equal("-inf", lit F64 false -infinity)
    Assert.Equal("nan", lit F32 false nan)
    Assert.Equal("3", lit I32 true 3.0)
    Assert.Equal("True", lit Bool false 1.0)
