/// The lexical half of the jaxpr reader (LaxParse.fs): tokens with 1-based positions, the Python
/// values JAX prints as params, and each primitive's params read back into its Prim case.
/// Guarantees: the lexer never fails (any stray character is a token the parser reports), and
/// every Prim case has exactly one builder.
module Cotangent.Core.Dialects.LaxTokens

open System
open System.Collections.Generic
open System.Globalization
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
/// Where the text is wrong (1-based), and what was expected and found there.
type ParseError = { Line: int; Column: int; Message: string }



// ---------------------------------------------------------------------------------------------
// Tokens. Any character outside the grammar becomes a one-character Punct token, so the lexer
// never fails and the parser reports it where it stands.

type internal Kind = Ident | Number | Str | Punct | End

type internal Token = { Kind: Kind; Text: string; Line: int; Column: int }

exception internal Failed of ParseError

let internal failAt (t: Token) (message: string) : 'a = raise (Failed { Line = t.Line; Column = t.Column; Message = message })

let internal describe (t: Token) = if t.Kind = End then "end of input" else $"'{t.Text}'"

let internal isIdentStart c = Char.IsAsciiLetter c || c = '_'
let internal isIdentChar c = Char.IsAsciiLetterOrDigit c || c = '_'

let internal lex (text: string) : Token[] =
    let tokens = ResizeArray<Token>()
    let mutable i, line, lineStart = 0, 1, 0
    let at k = if k < text.Length then text[k] else '\000'
    let startsWith k (word: string) = String.CompareOrdinal(text, k, word, 0, word.Length) = 0
    let digits () = while Char.IsAsciiDigit(at i) do i <- i + 1
    let add kind start = tokens.Add { Kind = kind; Text = text.Substring(start, i - start); Line = line; Column = start - lineStart + 1 }
    while i < text.Length do
        let c, start = text[i], i
        if c = '\n' then
            i <- i + 1
            line <- line + 1
            lineStart <- i
        elif Char.IsWhiteSpace c then i <- i + 1
        elif c = '-' && (startsWith (i + 1) "inf" || startsWith (i + 1) "nan") then
            i <- i + 4
            add Number start
        elif Char.IsAsciiDigit c || (c = '-' && Char.IsAsciiDigit(at (i + 1))) then
            i <- i + 1
            digits ()
            if at i = '.' && Char.IsAsciiDigit(at (i + 1)) then i <- i + 1; digits ()
            if (at i = 'e' || at i = 'E') && (Char.IsAsciiDigit(at (i + 1)) || ((at (i + 1) = '+' || at (i + 1) = '-') && Char.IsAsciiDigit(at (i + 2)))) then
                i <- i + 2
                digits ()
            add Number start
        elif isIdentStart c || (c = '<' && isIdentStart (at (i + 1))) then
            // names as Python prints them: `_where`, `RoundingMethod.TO_NEAREST_EVEN`, `<lambda>`
            i <- i + 1
            while isIdentChar (at i) || (at i = '.' && isIdentStart (at (i + 1))) do i <- i + 1
            if c = '<' then (if at i = '>' then i <- i + 1 else i <- start + 1)
            add (if i = start + 1 && c = '<' then Punct else Ident) start
        elif c = '\'' || c = '"' then
            i <- i + 1
            while i < text.Length && text[i] <> c && text[i] <> '\n' do i <- i + 1
            if at i = c then i <- i + 1
            add Str start
        else
            i <- i + 1
            add Punct start
    tokens.Add { Kind = End; Text = ""; Line = line; Column = i - lineStart + 1 }
    tokens.ToArray()

// ---------------------------------------------------------------------------------------------
// Param values: the Python values JAX prints (ints, names, tuples and lists), or a region.

type internal Py =
    | PyInt of int
    | PyName of string
    | PySeq of Py list
    | PyRegion of ClosedJaxpr<Prim>

let rec internal pyText (v: Py) =
    match v with
    | PyInt n -> string n
    | PyName s -> s
    | PySeq [ x ] -> "(" + pyText x + ",)"
    | PySeq xs -> "(" + String.Join(", ", List.map pyText xs) + ")"
    | PyRegion _ -> "a jaxpr"

/// How a param's value is read: what it must be (for messages), and the reading.
type internal Conv<'a> = string * (Py -> 'a option)

let internal allSome (xs: 'a option list) = if List.forall Option.isSome xs then Some(List.map Option.get xs) else None
let internal anInt : Conv<int> = "an integer", (function PyInt n -> Some n | _ -> None)
let internal intTuple : Conv<int list> = "a tuple of integers", (function PySeq xs -> allSome (List.map (snd anInt) xs) | _ -> None)
let internal aDType : Conv<DType> =
    "a dtype (bool, int32, uint32, float32, float64)", (function PyName s -> DType.all |> List.tryFind (fun d -> DType.name d = s) | _ -> None)
let internal aBool : Conv<bool> = "True or False", (function PyName "True" -> Some true | PyName "False" -> Some false | _ -> None)
let internal boolTuple : Conv<bool list> = "a tuple of True or False", (function PySeq xs -> allSome (List.map (snd aBool) xs) | _ -> None)
let internal orNone ((what, read): Conv<'a>) : Conv<'a option> =
    what + " or None", (function PyName "None" -> Some None | v -> read v |> Option.map Some)
let internal noneOnly : Conv<unit> = "None", (function PyName "None" -> Some() | _ -> None)
let internal aName : Conv<string> = "a name", (function PyName s -> Some s | _ -> None)
let internal aRegion : Conv<ClosedJaxpr<Prim>> = "a jaxpr ({ lambda ... })", (function PyRegion c -> Some c | _ -> None)
let internal roundingMethod : Conv<RoundingMethod> =
    "0 (AWAY_FROM_ZERO) or 1 (TO_NEAREST_EVEN)",
    (function
     | PyInt 0 -> Some AwayFromZero
     | PyInt 1 -> Some ToNearestEven
     | PyName s when s.EndsWith "AWAY_FROM_ZERO" -> Some AwayFromZero
     | PyName s when s.EndsWith "TO_NEAREST_EVEN" -> Some ToNearestEven
     | _ -> None)
let internal dimensionNumbers : Conv<DotDims> =
    "((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch))",
    (function
     | PySeq [ PySeq [ lc; rc ]; PySeq [ lb; rb ] ] ->
         match allSome (List.map (snd intTuple) [ lc; rc; lb; rb ]) with
         | Some [ lc; rc; lb; rb ] -> Some { LhsContract = lc; RhsContract = rc; LhsBatch = lb; RhsBatch = rb }
         | _ -> None
     | _ -> None)
let internal paddingConfig : Conv<(int * int * int) list> =
    "a tuple of (low, high, interior) triples",
    (function
     | PySeq xs -> xs |> List.map (function PySeq [ PyInt lo; PyInt hi; PyInt i ] -> Some(lo, hi, i) | _ -> None) |> allSome
     | _ -> None)

/// Params JAX prints that do not change what a primitive computes here (one device, one
/// precision per dtype); they are read past whatever their value.
let internal ignoredParams =
    set [ "sharding"; "out_sharding"; "precision"; "accumulation_type"; "keep_unused"; "inline"; "donated_invars"
          "in_shardings"; "out_shardings"; "in_layouts"; "out_layouts"; "resource_env"; "ctx_mesh"; "compiler_options_kvs" ]

/// The params of one equation, which takes the params `takes`; any other is an error.
type internal Args(primTok: Token, takes: string list, given: (Token * Token * Py) list) =
    do
        for k, _, _ in given do
            if not (List.contains k.Text takes) then
                let names = if takes.IsEmpty then "none" else String.Join(", ", takes)
                failAt k $"unknown param '{k.Text}' for {primTok.Text} (it takes: {names})"
    member _.Opt (key: string) ((what, read): Conv<'a>) : 'a option =
        match given |> List.tryFind (fun (k, _, _) -> k.Text = key) with
        | Some(_, at, v) ->
            match read v with
            | Some x -> Some x
            | None -> failAt at $"expected {what} for param '{key}' of {primTok.Text}, found {pyText v}"
        | None -> None
    member this.Get (key: string) (conv: Conv<'a>) : 'a =
        match this.Opt key conv with
        | Some x -> x
        | None -> failAt primTok $"{primTok.Text} needs param '{key}' ({fst conv})"

/// Each primitive's JAX name and how its params read back into the Prim case (Lax.paramsOf
/// inverted); `strides`, `preferred_element_type`, `weak_type` and reshape's `dimensions` may be
/// left out, as JAX drops None-valued params in some versions.
let internal builders : (string * string list * (Args -> Prim)) list =
    let plain (prim: Prim) = Lax.name prim, [], (fun (_: Args) -> prim)
    let reduction (make: int list -> Prim) = Lax.name (make []), [ "axes" ], (fun (a: Args) -> make (a.Get "axes" intTuple))
    let unary = [ Neg; Sign; Floor; Ceil; IsFinite; Exp; Log; Log1p; Expm1; Sin; Cos; Tan; Tanh; Logistic; Sqrt; Rsqrt; Abs; Not ]
    let binary = [ Pow; Add; Sub; Mul; Div; Rem; Max; Min; Atan2; Eq; Ne; Lt; Le; Gt; Ge; And; Or; AddAny; SelectN ]
    List.map plain unary
    @ [ "round", [ "rounding_method" ], (fun a -> Round(a.Get "rounding_method" roundingMethod))
        "integer_pow", [ "y" ], (fun a -> IntegerPow(a.Get "y" anInt)) ]
    @ List.map plain binary
    @ [ "convert_element_type", [ "new_dtype"; "weak_type" ],
        (fun a -> ConvertElementType(a.Get "new_dtype" aDType, defaultArg (a.Opt "weak_type" aBool) false))
        "broadcast_in_dim", [ "broadcast_dimensions"; "shape" ],
        (fun a -> BroadcastInDim(a.Get "shape" intTuple, a.Get "broadcast_dimensions" intTuple))
        "reshape", [ "dimensions"; "new_sizes" ], (fun a -> a.Opt "dimensions" noneOnly |> ignore; Reshape(a.Get "new_sizes" intTuple))
        "squeeze", [ "dimensions" ], (fun a -> Squeeze(a.Get "dimensions" intTuple))
        "expand_dims", [ "dimensions" ], (fun a -> ExpandDims(a.Get "dimensions" intTuple))
        "transpose", [ "permutation" ], (fun a -> Transpose(a.Get "permutation" intTuple))
        reduction ReduceSum
        reduction ReduceMax
        reduction ReduceMin
        reduction ReduceProd
        "argmax", [ "axes"; "index_dtype" ], (fun a -> Argmax(a.Get "axes" intTuple, a.Get "index_dtype" aDType))
        "argmin", [ "axes"; "index_dtype" ], (fun a -> Argmin(a.Get "axes" intTuple, a.Get "index_dtype" aDType))
        "cumsum", [ "axis"; "reverse" ], (fun a -> Cumsum(a.Get "axis" anInt, defaultArg (a.Opt "reverse" aBool) false))
        "dot_general", [ "dimension_numbers"; "preferred_element_type" ],
        (fun a -> DotGeneral(a.Get "dimension_numbers" dimensionNumbers, a.Opt "preferred_element_type" (orNone aDType) |> Option.flatten))
        "slice", [ "limit_indices"; "start_indices"; "strides" ],
        (fun a -> Slice(a.Get "start_indices" intTuple, a.Get "limit_indices" intTuple, a.Opt "strides" (orNone intTuple) |> Option.flatten))
        "dynamic_slice", [ "slice_sizes" ], (fun a -> DynamicSlice(a.Get "slice_sizes" intTuple))
        plain DynamicUpdateSlice
        "concatenate", [ "dimension" ], (fun a -> Concatenate(a.Get "dimension" anInt))
        "pad", [ "padding_config" ], (fun a -> Pad(a.Get "padding_config" paddingConfig))
        "rev", [ "dimensions" ], (fun a -> Rev(a.Get "dimensions" intTuple))
        "iota", [ "dimension"; "dtype"; "shape" ], (fun a -> Iota(a.Get "dtype" aDType, a.Get "shape" intTuple, a.Get "dimension" anInt))
        plain StopGradient
        "pjit", [ "name"; "jaxpr" ], (fun a -> Pjit(a.Get "name" aName, a.Get "jaxpr" aRegion))
        "scan", [ "_split_transpose"; "jaxpr"; "length"; "linear"; "num_carry"; "num_consts"; "reverse"; "unroll" ],
        (fun a ->
            // linear, unroll and _split_transpose change how JAX transforms or unrolls, not what it computes
            a.Opt "linear" boolTuple |> ignore
            a.Opt "unroll" anInt |> ignore
            a.Opt "_split_transpose" aBool |> ignore
            Scan { Length = a.Get "length" anInt; Reverse = defaultArg (a.Opt "reverse" aBool) false
                   NumConsts = a.Get "num_consts" anInt; NumCarry = a.Get "num_carry" anInt; Jaxpr = a.Get "jaxpr" aRegion }) ]

let internal builderOf : System.Collections.Generic.IDictionary<string, string list * (Args -> Prim)> = builders |> List.map (fun (n, keys, build) -> n, (keys, build)) |> dict
let internal supported = String.Join(", ", builders |> List.map (fun (n, _, _) -> n))
