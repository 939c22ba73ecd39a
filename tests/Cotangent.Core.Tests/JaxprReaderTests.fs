/// The jaxpr reader (LaxParse): print then parse is the identity on every golden jaxpr and on
/// random programs and their gradients (same text, same values); every primitive reads back;
/// JAX's own spellings (typed literals, params we do not model) read; bad text gets an error at
/// its line and column; mutated text never makes the reader throw.
module Cotangent.Core.Tests.JaxprReaderTests

open System
open System.Text.RegularExpressions
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Tracing
open Cotangent.Core.Tests.JaxprTextTests
open Cotangent.Core.Tests.ProgramGen
open Cotangent.Core.Tests.ProgramRun
module N = Cotangent.Core.Numpy
module A = Cotangent.Core.NumpyArrays
module L = Cotangent.Core.LaxOps

let private parsedOpen (text: string) =
    match LaxParse.parseOpen text with
    | Ok j -> j
    | Error e -> failwith $"line {e.Line}, column {e.Column}: {e.Message}\n{text}"

let private errorOf (text: string) =
    match LaxParse.parse text with
    | Ok _ -> failwith $"expected an error for\n{text}"
    | Error e -> e

/// print (parse text) = text, and the parsed jaxpr verifies.
let private roundTrips (text: string) =
    let j = parsedOpen text
    Assert.Empty(LaxVerify.verify j)
    Assert.Equal(text, LaxText.print j)

// ---------------------------------------------------------------------------------------------
// Goldens: the programs of JaxprTextTests, GradJaxprTests and PjitTests, traced and printed.

let private sinTimes (xs: Value list) = [ N.multiply (N.sin xs[0]) xs[0] ]
let private loss (f: Value list -> Value list) (xs: Value list) = (f xs).Head

let goldens () : string list =
    let w2 = [ weakScalar; weakScalar ]
    let jitted = Api.jit "f" sinTimes
    [ print (fun a -> [ GradJaxprTests.seed a ]) w2
      print (fun a -> [ N.multiply (N.sin a[0]) (scalarConst 2.0) ]) [ weakScalar ]
      print (fun a -> [ N.multiply (N.cos (N.sin a[0])) (scalarConst 2.0) ]) [ weakScalar ]
      print id [ f32 [ 3 ] ]
      print (fun a -> [ N.sin a[0]; scalarConst 1.0 ]) [ weakScalar ]
      print (fun a -> let y = N.multiply a[0] (Concrete(NdArray.ofFloat32 [| 3 |] [| 1.0f; 2.0f; 3.0f |])) in N.sin y |> ignore; [ A.sum None false y ]) [ f32 [ 3 ] ]
      print (fun a -> [ N.add (A.matmul (A.reshape [ 3; 2 ] a[0]) (A.transpose None a[1])) (Concrete(NdArray.scalar I32 true 1.0)) ]) [ f32 [ 2; 3 ]; f32 [ 4; 2 ] ]
      print (fun a -> [ N.add (N.add a[0] (N.multiply (A.full F32 [ 2; 3 ] 1.0) a[1])) (A.arange I32 3) ]) [ f32 [ 3 ]; Aval.scalar I32 ]
      print (fun a -> [ N.where a[0] a[1] a[2] ]) [ Aval.make Bool [| 3 |]; f32 [ 3 ]; f32 [ 3 ] ]
      print (fun a -> [ Seq.fold (fun x _ -> N.sin x) a[0] (seq { 1..300 }) ]) [ f32 [] ] // names up to "ko", past "in"
      print (Api.grad GradJaxprTests.seed [ 0 ]) w2
      print (fun a -> Api.jacfwd (fun x -> [ GradJaxprTests.seed x ]) [ 0 ] a |> List.concat) w2
      for y in 1..3 do
          print (fun a -> let _, t = Api.jvp (fun x -> [ L.integerPow y x[0] ]) [ a[0] ] [ a[1] ] in t) w2
      print (fun a -> let o, t = Api.jvp jitted [ a[0] ] [ a[1] ] in o @ t) w2
      print (Api.grad (loss jitted) [ 0 ]) [ weakScalar ]
      print (Api.grad (loss (Api.jit "exp" (fun xs -> [ N.exp xs[0] ]))) [ 0 ]) [ weakScalar ]
      print (Api.vmap jitted [ Some 0 ] [ Some 0 ]) [ f32 [ 3 ] ]
      print (Api.vmap (Api.jit "g" (fun xs -> [ N.multiply xs[0] xs[1] ])) [ Some 1; None ] [ Some 0 ]) [ f32 [ 2; 3 ]; f32 [ 2 ] ]
      print (Api.jit "g" (Api.grad (loss sinTimes) [ 0 ])) [ weakScalar ] ]

[<Fact>]
let ``print then parse is the identity on every golden jaxpr`` () =
    let texts = goldens ()
    Assert.Equal(21, texts.Length)
    for text in texts do
        roundTrips text

/// Whitespace-insensitive text, so an equation can be found wherever the printer broke it.
let private flat (s: string) = Regex.Replace(Regex.Replace(Regex.Replace(s, @"\[\s+", "["), @"\s+\]", "]"), @"\s+", " ")

[<Fact>]
let ``every primitive reads back, with bare literals typed by their equation`` () =
    let invars = "a:f32[2,3] b:f32[2,3] c:bool[2,3] d:i32[] e:i32[2,3] f:f32[1,3] g:u32[] h:f64[3]"
    let eqns =
        [ for p in [ "neg"; "sign"; "floor"; "ceil"; "round[rounding_method=1]"; "exp"; "log"; "log1p"; "expm1"; "sin"; "cos"; "tan"
                     "tanh"; "logistic"; "sqrt"; "rsqrt"; "abs"; "integer_pow[y=3]"; "stop_gradient"; "rev[dimensions=(0,)]"
                     "cumsum[axis=1 reverse=False]" ] -> "f32[2,3]", p + " a"
          yield "bool[2,3]", "is_finite a"
          yield "bool[2,3]", "not c"
          for p in [ "pow"; "add"; "sub"; "mul"; "div"; "rem"; "max"; "min"; "atan2"; "add_any" ] -> "f32[2,3]", p + " a b"
          for p in [ "eq"; "ne"; "lt"; "le"; "gt"; "ge" ] -> "bool[2,3]", p + " a b"
          yield "bool[2,3]", "and c True"
          yield "bool[2,3]", "or c c"
          yield "f32[2,3]", "select_n c a b"
          yield "f32[2,3]", "select_n True a b"
          yield "f32[2,3]", "mul a 2.0"
          yield "f32[2,3]", "max 0.5 a"
          yield "i32[2,3]", "add e 1"
          yield "i32[]", "max d -3"
          yield "u32[]", "add g 4"
          yield "f64[3]", "mul h 0.1"
          yield "bool[2,3]", "lt e 2"
          yield "i32[2,3]", "convert_element_type[new_dtype=int32 weak_type=False] a"
          yield "f32[4,2,3]", "broadcast_in_dim[broadcast_dimensions=(1, 2) shape=(4, 2, 3)] a"
          yield "f32[2,3]", "broadcast_in_dim[broadcast_dimensions=() shape=(2, 3)] 1.0"
          yield "f32[3,2]", "reshape[dimensions=None new_sizes=(3, 2)] a"
          yield "f32[3]", "squeeze[dimensions=(0,)] f"
          yield "f32[1,2,3]", "expand_dims[dimensions=(0,)] a"
          yield "f32[3,2]", "transpose[permutation=(1, 0)] a"
          for p in [ "reduce_sum"; "reduce_max"; "reduce_min"; "reduce_prod" ] -> "f32[2]", p + "[axes=(1,)] a"
          for p in [ "argmax"; "argmin" ] -> "i32[2]", p + "[axes=(1,) index_dtype=int32] a"
          yield "f32[2,2]", "dot_general[dimension_numbers=(([1], [1]), ([], [])) preferred_element_type=float32] a b"
          yield "f32[2,1]", "slice[limit_indices=(2, 2) start_indices=(0, 1) strides=None] a"
          yield "f32[1,1]", "slice[limit_indices=(2, 3) start_indices=(0, 1) strides=(2, 2)] a"
          yield "f32[1,2]", "dynamic_slice[slice_sizes=(1, 2)] a d 1"
          yield "f32[2,3]", "dynamic_update_slice a f 0 d"
          yield "f32[4,3]", "concatenate[dimension=0] a b"
          yield "f32[3,6]", "pad[padding_config=((1, 0, 0), (0, 1, 1))] a 0.0"
          yield "i32[3]", "iota[dimension=0 dtype=int32 shape=(3,)]"
          yield "f32[2,3]", "scan[_split_transpose=False jaxpr={ lambda ; k:f32[] x:f32[3]. let y:f32[3] = mul x k in (y,) } length=2 linear=(False, False) num_carry=0 num_consts=1 reverse=True unroll=1] 2.0 a"
          yield "f32[2,3]", "pjit[name=f jaxpr={ lambda ; x:f32[2,3]. let y:f32[2,3] = sin x in (y,) }] a" ]
    let names = List.init eqns.Length (fun i -> LaxText.varName (i + 8))
    let text =
        "{ lambda ; " + invars + ". let\n"
        + String.Join("\n", List.map2 (fun n (t, rhs) -> $"    {n}:{t} = {rhs}") names eqns)
        + "\n  in (" + String.Join(", ", names) + ") }"
    let j = parsedOpen text
    Assert.Empty(LaxVerify.verify j)
    let printed = LaxText.print j
    // the scan's and pjit's regions are named after their outputs, so only the other equations print as written
    for n, (t, rhs) in List.zip names eqns |> List.take (eqns.Length - 2) do
        Assert.Contains(flat $"{n}:{t} = {rhs}", flat printed)
    Assert.Equal(printed, LaxText.print (parsedOpen printed))
    let cases = j.Eqns |> List.map (fun e -> (Reflection.FSharpValue.GetUnionFields(e.Op, typeof<Lax.Prim>) |> fst).Name) |> set
    let all = Reflection.FSharpType.GetUnionCases typeof<Lax.Prim> |> Array.map (fun c -> c.Name) |> set
    Assert.Empty(Set.difference all cases)

// ---------------------------------------------------------------------------------------------
// Random programs and their gradients: the same text and the same values after a round trip.

let private sameValues (expected: NdArray list) (actual: NdArray list) =
    Assert.Equal(expected.Length, actual.Length)
    for e, a in List.zip expected actual do
        Assert.Equal(Aval.str e.Aval, Aval.str a.Aval)
        Assert.Equal<float[]>(NdArray.toFloats e, NdArray.toFloats a)

let private throughText (closed: ClosedJaxpr<Lax.Prim>) (inputs: NdArray list) =
    let text = LaxText.print closed.Jaxpr
    let parsed = parsedOpen text
    Assert.Equal(text, LaxText.print parsed)
    sameValues (Backend.Interpreter.evalJaxpr closed.Jaxpr closed.Consts inputs) (Backend.Interpreter.evalJaxpr parsed closed.Consts inputs)

[<Property(MaxTest = 300, Arbitrary = [| typeof<Generators> |])>]
let ``print then parse is the identity on random programs and their gradients`` (s: Sample) =
    let f = Program.toFunction s.Program
    let args = s.Inputs |> List.map Concrete
    throughText (Api.makeJaxpr f args) s.Inputs
    let total xs = f xs |> List.map (A.sum None false) |> List.reduce N.add
    throughText (Api.makeJaxpr (Api.grad total [ 0 .. args.Length - 1 ]) args) s.Inputs

// ---------------------------------------------------------------------------------------------
// JAX's text.

let private count (word: string) (text: string) =
    text.Split([| ' '; '\n' |], StringSplitOptions.RemoveEmptyEntries) |> Array.filter ((=) word) |> Array.length

[<Fact>]
let ``the seed's jaxpr as JAX prints it goes through cse with one div left`` () =
    let seed = print (fun a -> [ GradJaxprTests.seed a ]) [ weakScalar; weakScalar ]
    let cse text = LaxParse.parseOrFail text |> Passes.Cse.cse |> fst |> fun c -> LaxText.print c.Jaxpr
    Assert.Equal(3, count "div" seed)
    Assert.Equal(1, count "div" (cse seed))
    // x1 / 2 - exp x1, times sin (x1 / 2) + x1 / 2: the literal in JAX's old and current spelling
    let halves (two: string) =
        lines
            [ "{ lambda ; a:f32[]. let"
              $"    b:f32[] = div a {two}"
              "    c:f32[] = exp a"
              "    d:f32[] = sub b c"
              $"    e:f32[] = div a {two}"
              "    f:f32[] = sin e"
              $"    g:f32[] = div a {two}"
              "    h:f32[] = add f g"
              "    i:f32[] = mul d h"
              "  in (i,) }" ]
    for two in [ "2.0"; "2.0:f32[]" ] do
        let result = cse (halves two)
        Assert.Equal(1, count "div" result)
        Assert.Contains("div a 2.0", result)
    Assert.Equal(LaxText.print (parsedOpen (halves "2.0")), LaxText.print (parsedOpen (halves "2.0:f32[]")))

[<Fact>]
let ``params JAX prints that Cotangent does not model are read past`` () =
    let text =
        lines
            [ "{ lambda ; a:bool[3] b:f32[3] c:f32[3]. let"
              "    d:f32[3] = pjit["
              "      name=_where"
              "      jaxpr={ lambda ; e:bool[3] f:f32[3] g:f32[3]. let"
              "          h:f32[3] = select_n e g f"
              "          i:f32[1,3] = broadcast_in_dim[broadcast_dimensions=(1,) shape=(1, 3) sharding=None] h"
              "          j:f32[] = dot_general[dimension_numbers=(([0], [0]), ([], [])) precision=None preferred_element_type=float32 out_sharding=None] h f"
              "          k:f32[3] = mul h j"
              "        in (k,) }"
              "      donated_invars=(False, False, False)"
              "      in_shardings=(UnspecifiedValue, UnspecifiedValue, UnspecifiedValue)"
              "      inline=False keep_unused=False"
              "      ctx_mesh=AbstractMesh((), axis_types=())"
              "      compiler_options_kvs=()"
              "      out_shardings=(UnspecifiedValue,) resource_env=None"
              "    ] a b c"
              "    l:i32[3] = iota[dtype=int32 shape=(3,) dimension=0 sharding=None] "
              "  in (d, l) }" ]
    let closed = LaxParse.parseOrFail text
    Assert.Empty(LaxVerify.verify closed.Jaxpr)
    let t = NdArray.ofBool [| 3 |] [| true; false; true |]
    let x = NdArray.ofFloat32 [| 3 |] [| 1.0f; 2.0f; 3.0f |]
    let y = NdArray.ofFloat32 [| 3 |] [| 4.0f; 5.0f; 6.0f |]
    let outs = Backend.Interpreter.evalJaxpr closed.Jaxpr [] [ t; x; y ]
    // where(t, x, y) = [1, 5, 3]; its dot with x is 1 + 10 + 9 = 20
    Assert.Equal<float[]>([| 20.0; 100.0; 60.0 |], NdArray.toFloats outs[0])
    Assert.Equal<float[]>([| 0.0; 1.0; 2.0 |], NdArray.toFloats outs[1])

[<Fact>]
let ``layout is free: flat text with ';', newlines anywhere, params in any order`` () =
    let flat = "{ lambda ; a:f32[2,3]. let b:f32[3,2] = transpose[permutation=(1, 0)] a; c:f32[2,3] = neg a in (c,) }"
    let short = "{ lambda ; a:f32[]. let b:f32[] = sin a; c:f32[] = mul b 2.0 in (c,) }"
    let broken = "{\n lambda\n;\na\n:\nf32\n[\n2\n,\n3\n]\n.\nlet\nb:f32[3,2]\n=\ntranspose\n[\npermutation\n=\n(\n1\n,\n0\n)\n]\na\nc:f32[2,3] = neg a in\n(\nc\n,\n)\n}\n"
    Assert.Equal(short, LaxText.print (parsedOpen "{lambda;a:f32[].let\n b:f32[]=sin a\n c:f32[]=mul b 2.0\n in(c)}"))
    Assert.Equal(LaxText.print (parsedOpen flat), LaxText.print (parsedOpen broken))
    let reordered = "{ lambda ; a:i32[]. let b:f32[2,3] = iota[shape=(2, 3) dtype=float32 dimension=1] ; c:f32[2,3] = add b 1.0 in (c,) }"
    Assert.Equal("{ lambda ; a:i32[]. let\n    b:f32[2,3] = iota[dimension=1 dtype=float32 shape=(2, 3)] \n    c:f32[2,3] = add b 1.0\n  in (c,) }", LaxText.print (parsedOpen reordered))

[<Fact>]
let ``constvars read as an open jaxpr; parse asks for their values`` () =
    let text = "{ lambda a:f32[3]; b:f32[3]. let c:f32[3] = mul b a in (c,) }"
    Assert.Equal(1, (parsedOpen text).ConstVars.Length)
    let e = errorOf text
    Assert.Equal((1, 10), (e.Line, e.Column))
    Assert.Contains("constvars need values", e.Message)

// ---------------------------------------------------------------------------------------------
// Errors, with their positions.

let private seedText () = print (fun a -> [ GradJaxprTests.seed a ]) [ weakScalar; weakScalar ]

[<Fact>]
let ``an unknown primitive is reported where it stands, with the supported ones`` () =
    let e = errorOf "{ lambda ; a:f32[]. let b:f32[] = foo a in (b,) }"
    Assert.Equal((1, 35), (e.Line, e.Column))
    Assert.StartsWith("unknown primitive 'foo' (supported: neg, sign,", e.Message)
    Assert.Contains("pjit", e.Message)

[<Fact>]
let ``a malformed binder is reported at the token that breaks it`` () =
    let e = errorOf "{ lambda ; a:f32(3). let  in (a,) }"
    Assert.Equal((1, 17), (e.Line, e.Column))
    Assert.Equal("expected '[' after the dtype f32, found '('", e.Message)
    let e = errorOf "{ lambda ; a:f16[3]. let  in (a,) }"
    Assert.Equal((1, 14), (e.Line, e.Column))
    Assert.Contains("unsupported dtype 'f16'", e.Message)
    let e = errorOf "{ lambda ; a:f32[3] b f32[]. let  in (a,) }"
    Assert.Equal((1, 21), (e.Line, e.Column))
    Assert.Equal("expected '.' after the inputs, found 'b'", e.Message)

[<Fact>]
let ``a declared type the rule disagrees with is reported at the binder`` () =
    let text = (seedText ()).Replace("g:f32[] = sin f", "g:f32[3] = sin f")
    let e = errorOf text
    Assert.Equal((6, 5), (e.Line, e.Column))
    Assert.Equal("expected 'g' to have type f32[] (sin of f32[]), found f32[3]", e.Message)
    let e = errorOf "{ lambda ; a:f32[] b:i32[]. let c:f32[] = add a b in (c,) }"
    Assert.Equal((1, 43), (e.Line, e.Column))
    Assert.Contains("add: requires arguments to have the same dtypes", e.Message)
    let e = errorOf "{ lambda ; a:f32[]. let b:f32[] c:f32[] = sin a in (b,) }"
    Assert.Equal((1, 25), (e.Line, e.Column))
    Assert.Equal("expected 1 output(s) (f32[]: sin of f32[]), found 2", e.Message)

[<Fact>]
let ``names used before their definition, twice defined or unknown are reported`` () =
    let text = (seedText ()).Replace("    g:f32[] = sin f", "    g:f32[] = sin k")
    let e = errorOf text
    Assert.Equal((6, 19), (e.Line, e.Column))
    Assert.Equal("'k' is used before its definition at line 10, column 5", e.Message)
    let e = errorOf "{ lambda ; a:f32[]. let b:f32[] = sin a; b:f32[] = cos a in (b,) }"
    Assert.Equal((1, 42), (e.Line, e.Column))
    Assert.Equal("'b' is defined twice (first at line 1, column 25)", e.Message)
    let e = errorOf "{ lambda ; a:f32[]. let b:f32[] = sin z in (b,) }"
    Assert.Equal((1, 39), (e.Line, e.Column))
    Assert.Equal("'z' is not defined", e.Message)
    // a region sees only its own binders
    let e = errorOf "{ lambda ; a:f32[]. let b:f32[] = pjit[name=f jaxpr={ lambda ; . let c:f32[] = sin a in (c,) }] in (b,) }"
    Assert.Equal((1, 84), (e.Line, e.Column))

[<Fact>]
let ``unbalanced braces and truncated text are reported at the end or the extra token`` () =
    let seed = seedText ()
    let e = errorOf (seed.Substring(0, seed.Length - 2))
    Assert.Equal((12, 10), (e.Line, e.Column))
    Assert.Equal("expected '}' to close the jaxpr, found end of input", e.Message)
    let e = errorOf (seed + " }")
    Assert.Equal((12, 13), (e.Line, e.Column))
    Assert.Equal("expected end of input after the jaxpr, found '}'", e.Message)
    let e = errorOf (seed.Substring(0, seed.IndexOf "g:f32[" + 6))
    Assert.Equal((6, 11), (e.Line, e.Column))
    Assert.Equal("expected a dimension size, found end of input", e.Message)
    let e = errorOf ""
    Assert.Equal((1, 1), (e.Line, e.Column))
    Assert.Equal("expected '{' to open a jaxpr, found end of input", e.Message)

[<Fact>]
let ``unknown and missing params are reported`` () =
    let e = errorOf "{ lambda ; a:f32[3]. let b:f32[3] = rev[dims=(0,)] a in (b,) }"
    Assert.Equal((1, 41), (e.Line, e.Column))
    Assert.Equal("unknown param 'dims' for rev (it takes: dimensions)", e.Message)
    let e = errorOf "{ lambda ; a:f32[3]. let b:f32[3] = cumsum[axis=x] a in (b,) }"
    Assert.Equal((1, 49), (e.Line, e.Column))
    Assert.Equal("expected an integer for param 'axis' of cumsum, found x", e.Message)

[<Fact>]
let ``deep nesting is an error, not a stack overflow`` () =
    let parens = "{ lambda ; a:f32[3]. let b:f32[3] = rev[dimensions=" + String('(', 100000) + "] a in (b,) }"
    Assert.Contains("nest deeper than 64", (errorOf parens).Message)
    let region = String.replicate 100000 "b:f32[] = pjit[name=f jaxpr={ lambda ; . let "
    Assert.Contains("nest deeper than 64", (errorOf ("{ lambda ; . let " + region)).Message)
    let e = errorOf ("{ lambda ; . let b:f32[] = add nan:f32[] " + String.replicate 100000 "nan:f32[] ")
    Assert.Equal(1, e.Line)

[<Fact>]
let ``parseOrFail raises a CotangentException naming line and column`` () =
    let ex = Assert.Throws<LaxParse.JaxprParseException>(fun () -> LaxParse.parseOrFail "{ lambda ; a:f32[]. let\n  b:f32[] = foo a in (b,) }" |> ignore)
    Assert.StartsWith("line 2, column 13: unknown primitive 'foo'", ex.Message)
    Assert.Equal((2, 13), (ex.Line, ex.Column))
    Assert.IsAssignableFrom<CotangentException>(ex) |> ignore

// ---------------------------------------------------------------------------------------------
// Fuzz: mutated jaxprs (deleted, inserted, duplicated and swapped tokens and characters).

/// The texts mutants start from: the goldens and 40 random programs and gradients.
let private corpus =
    lazy (
        let programs =
            Gen.sampleWithSeed (Rnd 7UL) 10 40 sampleGen
            |> Array.toList
            |> List.collect (fun s ->
                let f = Program.toFunction s.Program
                let args = s.Inputs |> List.map Concrete
                let total xs = f xs |> List.map (A.sum None false) |> List.reduce N.add
                [ Api.makeJaxpr f args; Api.makeJaxpr (Api.grad total [ 0 ]) args ] |> List.map (fun c -> LaxText.print c.Jaxpr))
        Array.ofList (goldens () @ programs))

/// Tokens as the printer separates them: names, numbers and single punctuation, plus spaces.
let private tokensOf (text: string) = Regex.Matches(text, @"[A-Za-z_0-9.\-]+|\s+|.") |> Seq.map (fun m -> m.Value) |> Array.ofSeq

let private vocabulary =
    [| "{"; "}"; "("; ")"; "["; "]"; ":"; ";"; "."; ","; "="; " "; "\n"; "lambda"; "let"; "in"; "_"; "a"; "zz"; "f32"; "i32"
       "bool"; "f32[]"; "1.0"; "-2"; "1.0:f32[]"; "True"; "nan"; "-inf"; "1e-05"; "99999999999"; "pjit"; "jaxpr="; "name=f"
       "sin"; "add"; "foo"; "broadcast_in_dim"; "shape="; "(3,)"; "sharding=None"; "{ lambda ; . let  in () }"; "'"; "<lambda>"; "é"; "\t" |]

type Mutant = { Text: string }

let private mutate (tokens: string[]) : Gen<string[]> =
    gen {
        let n = tokens.Length
        let! i = Gen.choose (0, max 0 (n - 1))
        let! j = Gen.choose (0, max 0 (n - 1))
        let! word = Gen.elements vocabulary
        let! op = Gen.choose (0, 5)
        return
            match op with
            | 0 when n > 0 -> Array.removeAt i tokens
            | 1 when n > 0 -> Array.append tokens[.. min i j - 1] tokens[max i j ..]
            | 2 -> Array.insertAt i word tokens
            | 3 when n > 0 -> Array.insertAt j tokens[i] tokens
            | 4 when n > 0 ->
                let t = Array.copy tokens
                t[i] <- tokens[j]
                t[j] <- tokens[i]
                t
            | _ when n > 0 && tokens[i].Length > 1 -> Array.updateAt i (tokens[i].Remove(tokens[i].Length / 2, 1)) tokens
            | _ -> Array.insertAt i word tokens
    }

type Mutants =
    static member Mutant() : Arbitrary<Mutant> =
        let g = gen {
            let! text = Gen.elements corpus.Value
            let! steps = Gen.choose (1, 4)
            let mutable g = Gen.constant (tokensOf text)
            for _ in 1..steps do g <- Gen.bind mutate g
            let! tokens = g
            return { Text = String.Concat tokens } }
        Arb.fromGen g

[<Property(MaxTest = 10000, Arbitrary = [| typeof<Mutants> |])>]
let ``the reader never throws on mutated jaxprs: it reads them or names a line and column in the text`` (m: Mutant) =
    match LaxParse.parse m.Text with
    | Ok closed ->
        Assert.Empty(LaxVerify.verify closed.Jaxpr)
        let printed = LaxText.print closed.Jaxpr
        Assert.Equal(printed, LaxText.print (parsedOpen printed))
    | Error e ->
        let lines = m.Text.Split '\n'
        Assert.DoesNotContain("internal error", e.Message)
        Assert.InRange(e.Line, 1, lines.Length)
        Assert.InRange(e.Column, 1, lines[e.Line - 1].Length + 1)
