/// The lax dialect's generic form (LaxGeneric): the seed's jaxpr prints as written; print then
/// parse is the identity on random programs, their gradients and programs with consts (same
/// text, bitwise the same values); bad text gets an error at its line and column; mutated text
/// never makes the reader throw.
module Cotangent.Core.Tests.GenericIrTests

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

/// What `parse` reads from `text`; a failure with the error's position otherwise.
let readWith (parse: string -> Result<'a, LaxParse.ParseError>) (text: string) : 'a =
    match parse text with
    | Ok c -> c
    | Error e -> failwith $"line {e.Line}, column {e.Column}: {e.Message}\n{text}"

/// The error `parse` reports for `text`; a failure if it reads it.
let errorWith (parse: string -> Result<'a, LaxParse.ParseError>) (text: string) : LaxParse.ParseError =
    match parse text with
    | Ok _ -> failwith $"expected an error for\n{text}"
    | Error e -> e

/// The error names a line and column inside `text`, and is not the reader's own failure.
let assertPositioned (text: string) (e: LaxParse.ParseError) =
    let lines = text.Split '\n'
    Assert.InRange(e.Line, 1, lines.Length)
    Assert.InRange(e.Column, 1, lines[e.Line - 1].Length + 1)
    Assert.DoesNotContain("internal error", e.Message)

let private parsed (text: string) = readWith LaxGeneric.parse text
let private errorOf (text: string) = errorWith LaxGeneric.parse text

let private closedOf (f: Value list -> Value list) (avals: Aval list) : ClosedJaxpr<Lax.Prim> =
    { Jaxpr = fst (traceToJaxpr f avals); Consts = [] }

let private seedText () = LaxGeneric.print (closedOf (fun a -> [ GradJaxprTests.seed a ]) [ weakScalar; weakScalar ])

[<Fact>]
let ``the seed's jaxpr prints in generic form`` () =
    let expected =
        lines
            [ "lax.func @main(%0: f32[]{weak}, %1: f32[]{weak}) -> (f32[]{weak}) {"
              "  %2 = lax.div %0, %1 : f32[]{weak}"
              "  %3 = lax.exp %1 : f32[]{weak}"
              "  %4 = lax.sub %2, %3 : f32[]{weak}"
              "  %5 = lax.div %0, %1 : f32[]{weak}"
              "  %6 = lax.sin %5 : f32[]{weak}"
              "  %7 = lax.div %0, %1 : f32[]{weak}"
              "  %8 = lax.add %6, %7 : f32[]{weak}"
              "  %9 = lax.exp %1 : f32[]{weak}"
              "  %10 = lax.sub %8, %9 : f32[]{weak}"
              "  %11 = lax.mul %4, %10 : f32[]{weak}"
              "  lax.return %11"
              "}" ]
    Assert.Equal(expected, seedText ())

[<Fact>]
let ``params print as typed attributes and regions nest`` () =
    let jitted = Api.jit "f" (fun xs -> [ N.multiply (N.sin xs[0]) xs[0] ])
    let text =
        LaxGeneric.print (closedOf (fun a -> [ A.sum None false (N.add (N.broadcastTo [| 3 |] a[0]) (Concrete(NdArray.scalar F32 true 1.0))) ] @ jitted [ a[0] ]) [ weakScalar ])
    let expected =
        lines
            [ "lax.func @main(%0: f32[]{weak}) -> (f32[]{weak}, f32[]{weak}) {"
              "  %1 = lax.broadcast_in_dim %0 {broadcast_dimensions = [], shape = [3]} : f32[3]{weak}"
              "  %2 = lax.add %1, 1.0:f32[]{weak} : f32[3]{weak}"
              "  %3 = lax.reduce_sum %2 {axes = [0]} : f32[]{weak}"
              "  %4 = lax.pjit %0 {name = \"f\"} ({"
              "    ^region(%5: f32[]{weak}):"
              "      %6 = lax.sin %5 : f32[]{weak}"
              "      %7 = lax.mul %6, %5 : f32[]{weak}"
              "      lax.return %7"
              "  }) : f32[]{weak}"
              "  lax.return %3, %4"
              "}" ]
    Assert.Equal(expected, text)
    Assert.Equal(text, LaxGeneric.print (parsed text))

// ---------------------------------------------------------------------------------------------
// Round trips: the same text and bitwise the same values (NaN = NaN).

let bits (a: NdArray) : string list =
    match a.Data with
    | F32Data xs -> xs |> Seq.map (fun x -> if Single.IsNaN x then "nan" else string (BitConverter.SingleToInt32Bits x)) |> List.ofSeq
    | F64Data xs -> xs |> Seq.map (fun x -> if Double.IsNaN x then "nan" else string (BitConverter.DoubleToInt64Bits x)) |> List.ofSeq
    | I32Data xs -> xs |> Seq.map string |> List.ofSeq
    | U32Data xs -> xs |> Seq.map string |> List.ofSeq
    | BoolData xs -> xs |> Seq.map string |> List.ofSeq

/// The same avals and bitwise the same elements (NaN = NaN).
let sameValues (expected: NdArray list) (actual: NdArray list) =
    Assert.Equal(expected.Length, actual.Length)
    for e, a in List.zip expected actual do
        Assert.Equal(LaxGeneric.typeText e.Aval, LaxGeneric.typeText a.Aval)
        Assert.Equal<string list>(bits e, bits a)

let private roundTrips (closed: ClosedJaxpr<Lax.Prim>) (inputs: NdArray list) =
    let text = LaxGeneric.print closed
    let back = parsed text
    Assert.Equal(text, LaxGeneric.print back)
    Assert.Empty(LaxVerify.verify back.Jaxpr)
    sameValues closed.Consts back.Consts
    let run (c: ClosedJaxpr<Lax.Prim>) = Backend.Interpreter.evalJaxpr c.Jaxpr c.Consts inputs
    sameValues (run closed) (run back)

/// The closed jaxpr with its first `k` invars turned into constvars holding `inputs`' values.
let withConsts (k: int) (closed: ClosedJaxpr<Lax.Prim>) (inputs: NdArray list) =
    let k = min k closed.Jaxpr.InVars.Length
    let j = closed.Jaxpr
    { Jaxpr = { j with ConstVars = j.ConstVars @ List.take k j.InVars; InVars = List.skip k j.InVars }
      Consts = closed.Consts @ (List.take k inputs |> List.map2 (fun (v: Var) a -> NdArray.withWeak v.Aval.Weak a) (List.take k j.InVars)) },
    List.skip k inputs

[<Property(MaxTest = 300, Arbitrary = [| typeof<Generators> |])>]
let ``print then parse is the identity on random programs, their gradients and programs with consts`` (s: Sample) =
    let f = Program.toFunction s.Program
    let args = s.Inputs |> List.map Concrete
    let closed = Api.makeJaxpr f args
    roundTrips closed s.Inputs
    let total xs = f xs |> List.map (A.sum None false) |> List.reduce N.add
    roundTrips (Api.makeJaxpr (Api.grad total [ 0 .. args.Length - 1 ]) args) s.Inputs
    let consted, rest = withConsts 1 closed s.Inputs
    roundTrips consted rest

/// Every Prim case, read from jaxpr text (LaxParse) with inputs `a`..`h`.
let private everyPrim () =
    let eqns =
        [ for p in [ "neg"; "sign"; "floor"; "ceil"; "round[rounding_method=1]"; "exp"; "log"; "log1p"; "expm1"; "sin"; "cos"; "tan"
                     "tanh"; "logistic"; "sqrt"; "rsqrt"; "abs"; "integer_pow[y=3]"; "stop_gradient"; "rev[dimensions=(0,)]"
                     "cumsum[axis=1 reverse=True]" ] -> "f32[2,3]", p + " a"
          yield "bool[2,3]", "is_finite a"
          yield "bool[2,3]", "not c"
          for p in [ "pow"; "add"; "sub"; "mul"; "div"; "rem"; "max"; "min"; "atan2"; "add_any" ] -> "f32[2,3]", p + " a b"
          for p in [ "eq"; "ne"; "lt"; "le"; "gt"; "ge" ] -> "bool[2,3]", p + " a b"
          yield "bool[2,3]", "and c True"
          yield "bool[2,3]", "or c c"
          yield "f32[2,3]", "select_n c a b"
          yield "u32[]", "add g 4"
          yield "f64[3]", "mul h 0.1"
          yield "i32[2,3]", "convert_element_type[new_dtype=int32 weak_type=False] a"
          yield "f32[4,2,3]", "broadcast_in_dim[broadcast_dimensions=(1, 2) shape=(4, 2, 3)] a"
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
          yield "f32[3,5]", "pad[padding_config=((1, 0, 0), (-1, 1, 1))] a 0.0"
          yield "i32[3]", "iota[dimension=0 dtype=int32 shape=(3,)]"
          yield "f32[2,3]", "scan[_split_transpose=False jaxpr={ lambda ; k:f32[] x:f32[3]. let y:f32[3] = mul x k in (y,) } length=2 linear=(False, False) num_carry=0 num_consts=1 reverse=True unroll=1] 2.0 a"
          yield "f32[2,3]", "pjit[name=f jaxpr={ lambda ; x:f32[2,3]. let y:f32[2,3] = sin x in (y,) }] a" ]
    let names = List.init eqns.Length (fun i -> LaxText.varName (i + 8))
    "{ lambda ; a:f32[2,3] b:f32[2,3] c:bool[2,3] d:i32[] e:i32[2,3] f:f32[1,3] g:u32[] h:f64[3]. let\n"
    + String.Join("\n", List.map2 (fun n (t, rhs) -> $"    {n}:{t} = {rhs}") names eqns)
    + "\n  in (" + String.Join(", ", names) + ") }"

[<Fact>]
let ``every primitive and every golden jaxpr round-trips`` () =
    let closed = LaxParse.parseOrFail (everyPrim ())
    let cases = closed.Jaxpr.Eqns |> List.map (fun e -> (Reflection.FSharpValue.GetUnionFields(e.Op, typeof<Lax.Prim>) |> fst).Name) |> set
    Assert.Empty(Set.difference (Reflection.FSharpType.GetUnionCases typeof<Lax.Prim> |> Array.map (fun c -> c.Name) |> set) cases)
    let text = LaxGeneric.print closed
    Assert.Contains("lax.dot_general %0, %1 {dimension_numbers = [[[1], [1]], [[], []]], preferred_element_type = f32} : f32[2,2]", text)
    Assert.Contains("{padding_config = [[1, 0, 0], [-1, 1, 1]]}", text)
    Assert.Contains("{dimensions = none, new_sizes = [3, 2]}", text)
    Assert.Contains("{new_dtype = i32, weak_type = false}", text)
    Assert.Equal(text, LaxGeneric.print (parsed text))
    for golden in JaxprReaderTests.goldens () do
        let j = match LaxParse.parseOpen golden with Ok j -> j | Error e -> failwith e.Message
        let consts = j.ConstVars |> List.map (fun v -> NdArray.full v.Aval.DType v.Aval.Shape 0.5 |> NdArray.withWeak v.Aval.Weak)
        let closed = { Jaxpr = j; Consts = consts }
        let text = LaxGeneric.print closed
        Assert.Equal(text, LaxGeneric.print (parsed text))

[<Fact>]
let ``consts keep every value exactly: NaN, infinities, signed zero, extremes of each dtype`` () =
    let consts =
        [ NdArray.ofFloat32 [| 7 |] [| nanf; infinityf; -infinityf; -0.0f; Single.MaxValue; Single.Epsilon; 0.1f |]
          NdArray.ofFloat64 [| 2; 3 |] [| nan; infinity; -0.0; Double.MaxValue; Double.Epsilon; 0.1 |]
          NdArray.ofInt32 [| 3 |] [| Int32.MinValue; 0; Int32.MaxValue |]
          NdArray.ofUInt32 [| 2 |] [| 0u; UInt32.MaxValue |]
          NdArray.ofBool [| 2 |] [| true; false |]
          NdArray.scalar F32 true 1e-30 ]
    let vars = consts |> List.map (fun c -> Var.fresh c.Aval)
    let closed = { Jaxpr = { ConstVars = vars; InVars = []; Eqns = []; OutVars = List.map Var vars }; Consts = consts }
    roundTrips closed []
    Assert.Contains("%0 = lax.constant dense<[nan, inf, -inf, -0.0, 3.4028235e+38, 1e-45, 0.1]> : f32[7]", LaxGeneric.print closed)
    Assert.Contains("%5 = lax.constant dense<[1e-30]> : f32[]{weak}", LaxGeneric.print closed)

// ---------------------------------------------------------------------------------------------
// Errors, with their positions.

[<Fact>]
let ``an unknown op is reported where it stands`` () =
    let e = errorOf ((seedText ()).Replace("lax.sin", "lax.foo"))
    Assert.Equal((6, 8), (e.Line, e.Column))
    Assert.StartsWith("unknown op 'lax.foo'", e.Message)

[<Fact>]
let ``a result type the rule disagrees with is reported at the result`` () =
    let e = errorOf ((seedText ()).Replace("%6 = lax.sin %5 : f32[]{weak}", "%6 = lax.sin %5 : f32[3]"))
    Assert.Equal((6, 3), (e.Line, e.Column))
    Assert.Equal("expected '%6' to have type f32[]{weak} (lax.sin of f32[]{weak}), found f32[3]", e.Message)
    let e = errorOf "lax.func @main(%0: f32[], %1: i32[]) -> (f32[]) {\n  %2 = lax.add %0, %1 : f32[]\n  lax.return %2\n}"
    Assert.Equal((2, 8), (e.Line, e.Column))
    Assert.Contains("add: requires arguments to have the same dtypes", e.Message)
    let e = errorOf "lax.func @main(%0: f32[]) -> (f32[3]) {\n  lax.return %0\n}"
    Assert.Equal((1, 31), (e.Line, e.Column))

[<Fact>]
let ``a value used before its definition is reported at the use`` () =
    let e = errorOf ((seedText ()).Replace("%6 = lax.sin %5", "%6 = lax.sin %9"))
    Assert.Equal((6, 16), (e.Line, e.Column))
    Assert.Equal("'%9' is used before its definition at line 9, column 3", e.Message)
    let e = errorOf ((seedText ()).Replace("%6 = lax.sin %5", "%6 = lax.sin %42"))
    Assert.Equal("'%42' is not defined", e.Message)
    let e = errorOf ((seedText ()).Replace("%6 = lax.sin %5", "%5 = lax.sin %5"))
    Assert.Equal((6, 3), (e.Line, e.Column))
    Assert.Equal("'%5' is defined twice (first at line 5, column 3)", e.Message)

[<Fact>]
let ``truncated text and deep nesting are errors, not exceptions`` () =
    let seed = seedText ()
    let e = errorOf (seed.Substring(0, seed.Length - 1))
    Assert.Equal((13, 1), (e.Line, e.Column))
    Assert.Equal("expected '}' to close the function, found end of input", e.Message)
    let region = String.replicate 100000 "%1 = lax.pjit %0 {name = \"f\"} ({ ^region(%0: f32[]): "
    Assert.Contains("nest deeper than 64", (errorOf ("lax.func @main(%0: f32[]) -> () {\n" + region)).Message)
    let lists = "lax.func @main(%0: f32[3]) -> () {\n %1 = lax.rev %0 {dimensions = " + String('[', 100000)
    Assert.Contains("nest deeper than 64", (errorOf lists).Message)

// ---------------------------------------------------------------------------------------------
// Fuzz: mutated generic text (deleted, inserted, duplicated and swapped tokens and characters).

let private corpus =
    lazy (
        Gen.sampleWithSeed (Rnd 11UL) 10 30 sampleGen
        |> Array.toList
        |> List.collect (fun s ->
            let f = Program.toFunction s.Program
            let args = s.Inputs |> List.map Concrete
            let total xs = f xs |> List.map (A.sum None false) |> List.reduce N.add
            let closed = Api.makeJaxpr f args
            [ closed; Api.makeJaxpr (Api.grad total [ 0 ]) args; fst (withConsts 1 closed s.Inputs) ] |> List.map LaxGeneric.print)
        |> fun texts -> Array.ofList (seedText () :: LaxGeneric.print (LaxParse.parseOrFail (everyPrim ())) :: texts))

let tokensOf (text: string) = Regex.Matches(text, @"[A-Za-z_0-9.\-]+|\s+|.") |> Seq.map (fun m -> m.Value) |> Array.ofSeq

let private vocabulary =
    [| "{"; "}"; "("; ")"; "["; "]"; ":"; ","; "="; "%"; "%0"; "%99"; "^region"; "lax.return"; "lax.func"; "lax.constant"
       "dense<[1.0]>"; "lax.pjit"; "lax.foo"; "{weak}"; "f32[]"; "i32"; "1.0:f32[]"; "true"; "nan"; "-inf"; "-2"; "99999999999"
       "\"f\""; "\""; "->"; " "; "\n"; "{name = \"g\"}"; "({ ^region(): lax.return })"; "é"; "\t" |]

type Mutant = { Text: string }

/// One edit of a token list: a token or a span deleted, a word of `vocabulary` inserted, a token
/// duplicated, two swapped, or a character cut from one.
let mutate (vocabulary: string[]) (tokens: string[]) : Gen<string[]> =
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

/// A text of `corpus` after one to four mutations with words of `vocabulary`.
let mutantOf (corpus: string[]) (vocabulary: string[]) : Gen<Mutant> =
    gen {
        let! text = Gen.elements corpus
        let! steps = Gen.choose (1, 4)
        let mutable g = Gen.constant (tokensOf text)
        for _ in 1..steps do g <- Gen.bind (mutate vocabulary) g
        let! tokens = g
        return { Text = String.Concat tokens } }

/// `parse` reads `text` into a value without `problems` that prints back to itself, or names a
/// line of `text` and a column within it (or just past its end); it never throws.
let readsOrNamesAPosition (parse: string -> Result<'a, LaxParse.ParseError>) (print: 'a -> string) (problems: 'a -> string list) (text: string) =
    match parse text with
    | Ok x ->
        Assert.Empty(problems x)
        let printed = print x
        Assert.Equal(printed, print (readWith parse printed))
    | Error e -> assertPositioned text e

type Mutants =
    static member Mutant() : Arbitrary<Mutant> = Arb.fromGen (mutantOf corpus.Value vocabulary)

[<Property(MaxTest = 2000, Arbitrary = [| typeof<Mutants> |])>]
let ``the generic reader never throws on mutated text: it reads it or names a line and column in the text`` (m: Mutant) =
    readsOrNamesAPosition LaxGeneric.parse LaxGeneric.print (fun closed -> LaxVerify.verify closed.Jaxpr) m.Text
